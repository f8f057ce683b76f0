import { start } from './instance/start';
import { instancesList } from './query/instancesList';
import type { Procedure } from './types';

/** Every procedure the runner knows. */
export const procedures: readonly Procedure[] = [start, instancesList] as readonly Procedure[];
