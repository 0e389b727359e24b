'use client';
/**
 * The axis and smoothing controls every curve on the dashboard shares, kept in the URL: linear or log x
 * (?logx=1), linear or log y (?logy=1), x by sequences seen or wall time (?xby=wall), and TensorBoard's
 * smoothing weight (?smooth=0.6, a 0 to 0.99 slider).
 */
import { MAX_SMOOTHING, type AxisOptions } from '@engine-figures';
import { useEffect, useMemo, useState } from 'react';
import { useUrlState } from './useUrlState';

export function useCurveAxes(): AxisOptions {
  const [sp] = useUrlState();
  const [logx, logy, xby, smooth] = [sp.get('logx'), sp.get('logy'), sp.get('xby'), sp.get('smooth')];
  // One object while the URL says the same, so figures memoised on it are not rebuilt every render.
  return useMemo(() => {
    const s = Number(smooth ?? 0);
    return {
      logX: logx === '1',
      logY: logy === '1',
      x: xby === 'wall' ? 'wall_s' : 'seqs',
      smoothing: Number.isFinite(s) ? Math.min(MAX_SMOOTHING, Math.max(0, s)) : 0,
    };
  }, [logx, logy, xby, smooth]);
}

export function CurveControls({ wallTime = true }: { wallTime?: boolean }) {
  const [, set] = useUrlState();
  const axes = useCurveAxes();
  // The slider moves freely; the URL (and so the figures) follow when it settles.
  const [smooth, setSmooth] = useState(axes.smoothing ?? 0);
  useEffect(() => setSmooth(axes.smoothing ?? 0), [axes.smoothing]);
  useEffect(() => {
    if (smooth === axes.smoothing) return;
    const t = setTimeout(() => set({ smooth: smooth > 0 ? String(smooth) : null }), 150);
    return () => clearTimeout(t);
  }, [smooth, axes.smoothing, set]);
  return (
    <div className="filters curve-controls">
      <label>
        x
        <select value={axes.x === 'wall_s' ? 'wall' : 'seqs'} onChange={(e) => set({ xby: e.target.value === 'wall' ? 'wall' : null })} data-testid="x-by">
          <option value="seqs">sequences seen</option>
          {wallTime && <option value="wall">wall time</option>}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={!!axes.logX} onChange={(e) => set({ logx: e.target.checked ? '1' : null })} data-testid="log-x" /> log x
      </label>
      <label>
        <input type="checkbox" checked={!!axes.logY} onChange={(e) => set({ logy: e.target.checked ? '1' : null })} data-testid="log-y" /> log y
      </label>
      <label>
        smoothing
        <input type="range" min={0} max={MAX_SMOOTHING} step={0.01} value={smooth} onChange={(e) => setSmooth(Number(e.target.value))} data-testid="smoothing" aria-label="smoothing" />
        <output className="mono">{smooth.toFixed(2)}</output>
      </label>
    </div>
  );
}
