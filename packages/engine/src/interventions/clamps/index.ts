/**
 * The clamp registry: every manipulation of spec section 4, one file each. The spec parser, the pass
 * compiler, the CLI flags, the dashboard's ClampForm and README's clamp table all read this list.
 *
 * Order matters twice. Reference passes are traced in this order; in the final pass, hooks run in this
 * order where two touch one site: preservations first, then the replacements, then clamps, then
 * ablations (ablations take precedence, spec 4.1), then the readout.
 */
import { ablate } from './ablate.js';
import { ablateEmbedding } from './ablateEmbedding.js';
import { featureMatch } from './featureMatch.js';
import { forbidPrevToken } from './forbidPrevToken.js';
import { graft } from './graft.js';
import { graftOut } from './graftOut.js';
import { headTemperature } from './headTemperature.js';
import { match } from './match.js';
import { perfectCopy } from './perfectCopy.js';
import { perfectLayer1 } from './perfectLayer1.js';
import { preserve } from './preserve.js';
import { prevToken } from './prevToken.js';
import { prevTokenLabels } from './prevTokenLabels.js';
import { silenceNonLabel } from './silenceNonLabel.js';

export const CLAMPS = [preserve, perfectLayer1, graft, graftOut, ablateEmbedding, headTemperature, silenceNonLabel, forbidPrevToken, prevToken, prevTokenLabels, match, featureMatch, ablate, perfectCopy] as const;

export type AnyClamp = (typeof CLAMPS)[number];
export type ClampKey = AnyClamp['key'];
