// The state of one render: scopes, output sinks, AssistantTracker's spans, loop objects and the
// error positioning shared by statements.ts and expressions.ts.
import type { CharSpan } from '../types';
import { TemplateRuntimeError } from './errors';
import { codePointLength, pyEq, runtimeError, typeError } from './ops';
import { type Kwargs, type RV, bool, fn, int, isUndef, undef } from './values';

/** A variable scope (template, loop body, macro call, with block). */
export class Scope {
  readonly vars = new Map<string, RV>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): RV | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}

/** Where output goes: the template's own output (what jinja2 yields) or a buffer (macro, set block …). */
export class Sink {
  private parts: string[] = [];
  /** Code points written so far, counted as they come (the root's span starts need it, cheaply). */
  codePoints = 0;
  constructor(private readonly countCodePoints = false) {}
  write(s: string): void {
    if (!s) return;
    this.parts.push(s);
    if (this.countCodePoints) this.codePoints += codePointLength(s);
  }
  get text(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }
}

export class RenderState {
  /** What the template has yielded so far: AssistantTracker measures span starts against it. */
  readonly root = new Sink(true);
  /** `{% generation %}` spans, innermost first (as AssistantTracker appends them), in code points. */
  readonly spans: CharSpan[] = [];
}

export class LoopBreak extends Error {}
export class LoopContinue extends Error {}

/** Gives an error the template offset of the innermost statement or expression it escaped from. */
export function positioned<T>(pos: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TemplateRuntimeError) {
      if (e.offset === undefined) e.offset = pos;
      throw e;
    }
    if (e instanceof LoopBreak || e instanceof LoopContinue) throw e;
    if (e instanceof RangeError) {
      const w = runtimeError('maximum recursion depth exceeded', 'RecursionError');
      w.offset = pos;
      throw w;
    }
    throw e;
  }
}

const NO_PREV = undef('there is no previous item');
const NO_NEXT = undef('there is no next item');

/** jinja2's LoopContext: the `loop` variable of a for loop. */
export class LoopState {
  private changedLast: RV[] | undefined;
  index0 = 0;
  constructor(
    readonly items: RV[],
    readonly depth0: number,
    /** Renders the loop body over a new iterable (a `recursive` loop); undefined otherwise. */
    readonly recurse?: (iterable: RV) => RV,
  ) {}

  attr(name: string): RV | undefined {
    const i = this.index0;
    const n = this.items.length;
    switch (name) {
      case 'index':
        return int(i + 1);
      case 'index0':
        return int(i);
      case 'revindex':
        return int(n - i);
      case 'revindex0':
        return int(n - i - 1);
      case 'first':
        return bool(i === 0);
      case 'last':
        return bool(i === n - 1);
      case 'length':
        return int(n);
      case 'depth':
        return int(this.depth0 + 1);
      case 'depth0':
        return int(this.depth0);
      case 'previtem':
        return i > 0 ? this.items[i - 1] : NO_PREV;
      case 'nextitem':
        return i < n - 1 ? this.items[i + 1] : NO_NEXT;
      case 'cycle':
        return fn((args) => {
          if (!args.length) throw typeError('no items for cycling given');
          return args[i % args.length];
        }, 'cycle');
      case 'changed':
        return fn((args) => {
          const same =
            this.changedLast !== undefined &&
            this.changedLast.length === args.length &&
            args.every((a, k) => pyEq(a, this.changedLast![k]));
          this.changedLast = args;
          return bool(!same);
        }, 'changed');
    }
    return undefined;
  }

  call(args: RV[], kw: Kwargs): RV {
    if (!this.recurse) throw typeError("The loop must have the 'recursive' marker to be called recursively.");
    if (kw.size || args.length !== 1)
      throw typeError(`loop() takes 1 positional argument but ${args.length + kw.size} were given`);
    return this.recurse(args[0]);
  }
}

export function loopValue(state: LoopState): RV {
  return { type: 'LoopValue', value: state };
}

export const isMissing = (v: RV | undefined): v is undefined => v === undefined || (isUndef(v) && !v.hint);
