// The verticals the order workflow can run, by name.

import type { Vertical } from '../../domain/order';
import { grocery } from './grocery';
import type { VerticalFlow } from './vertical';

export const verticals: Partial<Record<Vertical, VerticalFlow>> = { grocery };
