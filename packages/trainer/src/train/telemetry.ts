/**
 * Routing telemetry (SPEC §5): each step's per-layer statistics are summed, and every
 * telemetry interval the window's means are reported. A routed head whose mean load in
 * a window is under the collapse share extends its streak; a warning fires when the
 * streak reaches the configured number of windows (once per streak, again only after
 * the head recovers and collapses anew). Averaging over the window keeps one unusual
 * batch from raising or resetting a warning.
 */
import type { ForwardResult } from '@moh/model';
import type { PhaseName, TelemetryConfig } from './config.js';
import type { LayerTelemetry, RoutingCollapseWarning, TelemetryEvent } from './events.js';

/** The accumulators, saved in checkpoints so that resumed runs report the same windows. */
export interface TelemetryState {
  /** Steps summed in the current window. */
  readonly count: number;
  /** `(L, H)` summed loads. */
  readonly load: readonly number[];
  /** `(L, H)` summed mean gates. */
  readonly meanGate: readonly number[];
  /** `(L)` summed `L_b`, `L_b / k` and entropies. */
  readonly balanceLoss: readonly number[];
  readonly balanceRatio: readonly number[];
  readonly entropy: readonly number[];
  /** `(L, H)` consecutive collapsed windows per head. */
  readonly streak: readonly number[];
}

/** Sums routing statistics and turns them into telemetry events and collapse warnings. */
export class RoutingTelemetry {
  private readonly layers: number;
  private readonly heads: number;
  /** Heads `[firstRouted, H)` are routed and can collapse; H when none are. */
  private readonly firstRouted: number;
  private readonly config: TelemetryConfig;
  private count = 0;
  private readonly load: Float64Array;
  private readonly meanGate: Float64Array;
  private readonly balanceLoss: Float64Array;
  private readonly balanceRatio: Float64Array;
  private readonly entropy: Float64Array;
  private readonly streak: Int32Array;

  /** `firstRouted` is the number of shared heads under mixture of heads, or `heads` when no head is routed. */
  constructor(layers: number, heads: number, firstRouted: number, config: TelemetryConfig) {
    this.layers = layers;
    this.heads = heads;
    this.firstRouted = firstRouted;
    this.config = config;
    this.load = new Float64Array(layers * heads);
    this.meanGate = new Float64Array(layers * heads);
    this.balanceLoss = new Float64Array(layers);
    this.balanceRatio = new Float64Array(layers);
    this.entropy = new Float64Array(layers);
    this.streak = new Int32Array(layers * heads);
  }

  /** Adds one step's routing statistics. */
  add(routing: ForwardResult['routing']): void {
    const H = this.heads;
    for (let l = 0; l < this.layers; l++) {
      const stats = routing[l];
      for (let h = 0; h < H; h++) {
        this.load[l * H + h] += stats.load[h];
        this.meanGate[l * H + h] += stats.meanGate[h];
      }
      this.balanceLoss[l] += stats.balanceLoss;
      this.balanceRatio[l] += stats.balanceRatio;
      this.entropy[l] += stats.entropy;
    }
    this.count++;
  }

  /** Whether a report is due after `step` steps. */
  due(step: number): boolean {
    return this.count > 0 && step % this.config.interval === 0;
  }

  /** The window's means as an event plus any collapse warnings; starts a new window. */
  report(step: number, phase: PhaseName): { event: TelemetryEvent; warnings: RoutingCollapseWarning[] } {
    const H = this.heads;
    const n = this.count;
    const layers: LayerTelemetry[] = [];
    const warnings: RoutingCollapseWarning[] = [];
    for (let l = 0; l < this.layers; l++) {
      const load = Array.from(this.load.subarray(l * H, l * H + H), (x) => x / n);
      layers.push({
        layer: l,
        load,
        meanGate: Array.from(this.meanGate.subarray(l * H, l * H + H), (x) => x / n),
        balanceLoss: this.balanceLoss[l] / n,
        balanceRatio: this.balanceRatio[l] / n,
        entropy: this.entropy[l] / n,
      });
      for (let h = this.firstRouted; h < H; h++) {
        const i = l * H + h;
        this.streak[i] = load[h] < this.config.collapseShare ? this.streak[i] + 1 : 0;
        if (this.streak[i] === this.config.collapseWindows) {
          warnings.push({
            kind: 'warning',
            code: 'routingCollapse',
            step,
            phase,
            layer: l,
            head: h,
            load: load[h],
            windows: this.streak[i],
            message:
              `Routed head ${h} of layer ${l} has carried under ${(100 * this.config.collapseShare).toFixed(1)}% of tokens ` +
              `for ${this.streak[i]} telemetry windows (latest ${(100 * load[h]).toFixed(2)}%): the router is collapsing. ` +
              'Consider a larger load-balance weight β or a lower learning rate.',
          });
        }
      }
    }
    this.reset();
    return { event: { kind: 'telemetry', step, phase, window: n, layers }, warnings };
  }

  /** The accumulators, for a checkpoint. */
  state(): TelemetryState {
    return {
      count: this.count,
      load: Array.from(this.load),
      meanGate: Array.from(this.meanGate),
      balanceLoss: Array.from(this.balanceLoss),
      balanceRatio: Array.from(this.balanceRatio),
      entropy: Array.from(this.entropy),
      streak: Array.from(this.streak),
    };
  }

  /** Restores accumulators saved by {@link RoutingTelemetry.state}. */
  restore(state: TelemetryState): void {
    const copy = (into: Float64Array | Int32Array, from: readonly number[], name: string): void => {
      if (from.length !== into.length) throw new RangeError(`Telemetry state "${name}" has ${from.length} entries, expected ${into.length}.`);
      into.set(from);
    };
    this.count = state.count;
    copy(this.load, state.load, 'load');
    copy(this.meanGate, state.meanGate, 'meanGate');
    copy(this.balanceLoss, state.balanceLoss, 'balanceLoss');
    copy(this.balanceRatio, state.balanceRatio, 'balanceRatio');
    copy(this.entropy, state.entropy, 'entropy');
    copy(this.streak, state.streak, 'streak');
  }

  private reset(): void {
    this.count = 0;
    this.load.fill(0);
    this.meanGate.fill(0);
    this.balanceLoss.fill(0);
    this.balanceRatio.fill(0);
    this.entropy.fill(0);
  }
}
