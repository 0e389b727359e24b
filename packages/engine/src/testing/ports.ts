/** Ports for tests that start servers of their own (redis-server, s3rver): others run servers on this machine too. */
import * as net from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
