// cache-load's post step: unmount what an image restore mounted, so nothing is left mounted
// when the job ends. Never fails the job.
import { releaseMount, type MountState } from '@harrier/cache-core';
import { State } from './constants';
import { type ActionIO, coreIO } from './shared/io';

export async function runPost(io: ActionIO = coreIO()): Promise<void> {
  const saved = io.getState(State.Mount);
  if (saved === '') {
    io.debug('nothing mounted by cache-load');
    return;
  }
  try {
    const state = JSON.parse(saved) as MountState;
    await releaseMount(state, io);
  } catch (error: unknown) {
    io.warning(
      `cache-load post: could not release the mount (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
