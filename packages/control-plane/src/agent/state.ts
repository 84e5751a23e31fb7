import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Remembers the last `harrier:jit` generation this machine consumed, across reboots. */
export interface ConsumedStore {
  read(): Promise<string | undefined>;
  write(generation: string): Promise<void>;
}

export function fileConsumedStore(path: string): ConsumedStore {
  return {
    async read() {
      try {
        const text = (await readFile(path, 'utf8')).trim();
        return text === '' ? undefined : text;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async write(generation) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, `${generation}\n`, { mode: 0o600 });
    },
  };
}

export function memoryConsumedStore(initial?: string): ConsumedStore & { value: string | undefined } {
  const store = {
    value: initial,
    read: () => Promise.resolve(store.value),
    write: (generation: string) => {
      store.value = generation;
      return Promise.resolve();
    },
  };
  return store;
}
