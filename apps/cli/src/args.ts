/** Strict argument parsers: a bad value is rejected with the flag's name and the value at fault. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+(e\d+)?$/i.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+(e\d+)?$/i.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

/** A TCP port, 0..65535 (0: any free port). */
export function portNumber(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError(`expected a port 0..65535, got '${value}'`);
  return n;
}

export function oneOf<T extends string>(...choices: T[]) {
  return (value: string): T => {
    if (!(choices as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** `--size <n|all>`: a dense-set subsample size, or every sequence. */
export function sizeOrAll(value: string): number | 'all' {
  if (value === 'all') return 'all';
  try {
    return positiveInt(value);
  } catch {
    throw new InvalidArgumentError(`expected a positive integer or 'all', got '${value}'`);
  }
}
