/** Fig. 5a (the toy model, spec 6): checklist claim 17. */
import { median } from '../curves.js';
import { itersToFraction } from '../../toy/toyModel.js';
import { GROUPS, type ClaimDef } from '../claim.js';

export const TOY_CLAIMS: ClaimDef[] = [
  {
    // "Toy model: none → plateau then abrupt drop; clamp c → shorter plateau; clamp b,c → smooth decay from
    // the start." The toy loss is per gradient step on a linear axis and has no ln 2 level, so its plateau
    // is read per step (the FSL curves' `plateau` does not apply): before the loss first reaches 10% of its
    // start, the steps where it moves by less than 0.1% of the start; the drop runs from the last of them
    // to the 10% mark.
    id: 17,
    group: GROUPS.sub,
    title: 'Toy model: none → plateau then abrupt drop; clamp c → shorter plateau; clamp b,c → smooth decay from the start',
    needs: [],
    figures: ['fig5a'],
    judge(e) {
      const stats = (cond: string) => {
        const runs = e.toy.filter((t) => t.condition === cond);
        const one = (loss: number[]) => {
          const t10 = itersToFraction(loss, 0.1) ?? loss.length - 1;
          let slow = 0;
          let lastSlow = 0;
          for (let t = 0; t < t10; t++)
            if (Math.abs(loss[t + 1] - loss[t]) < 1e-3 * loss[0]) {
              slow++;
              lastSlow = t + 1;
            }
          return { plateau: slow, drop: t10 - lastSlow };
        };
        const each = runs.map((t) => one(t.loss));
        return { plateau: median(each.map((x) => x.plateau)), drop: median(each.map((x) => x.drop)) };
      };
      const [none, c, bc] = ['none', 'c', 'bc'].map(stats);
      return {
        ok: none.plateau >= 100 && none.drop < none.plateau && c.plateau < none.plateau && bc.plateau <= none.plateau / 20,
        measured: `median over toy seeds ${[...new Set(e.toy.map((t) => t.seed))].join(',')}: iterations on the plateau / in the drop — none ${none.plateau} / ${none.drop}, clamp c ${c.plateau} / ${c.drop}, clamp b,c ${bc.plateau} / ${bc.drop}`,
        numbers: { nonePlateau: none.plateau, noneDrop: none.drop, cPlateau: c.plateau, bcPlateau: bc.plateau },
      };
    },
  },
];
