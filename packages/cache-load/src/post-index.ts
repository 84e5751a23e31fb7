import { runPost } from './post';

await runPost();
