// An S3-protocol server for the tests, in a process of its own (a test that waits on a CLI child with
// spawnSync would otherwise block the server too): s3rver on a free 127.0.0.1 port, storing under argv[2],
// with the buckets named in argv[3..]. Prints {"port": N} once it listens; stops on SIGTERM.
import S3rver from 's3rver';

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
