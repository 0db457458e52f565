// The verticals the order workflow can run, by name.

import type { Vertical } from '../../domain/order';
import { grocery } from './grocery';
import { hotel } from './hotel';
import { teleconsultation } from './teleconsultation';
import type { VerticalFlow } from './vertical';

export const verticals: Record<Vertical, VerticalFlow> = { grocery, hotel, teleconsultation };
