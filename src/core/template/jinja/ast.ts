// The template syntax tree, shaped after jinja2's nodes (jinja2/nodes.py) so that the parser and the
// interpreter can follow jinja2's rules one to one. `pos` is the offset of the node's first token in the
// newline-normalised source (for error line/column).
import type { RV } from './values';

interface At {
  pos: number;
}

export interface CallArgs {
  args: Expr[];
  kwargs: [string, Expr][];
  dynArgs?: Expr;
  dynKwargs?: Expr;
}

export interface Slice extends At {
  kind: 'Slice';
  start?: Expr;
  stop?: Expr;
  step?: Expr;
}

export type Expr =
  | (At & { kind: 'Const'; value: RV })
  | (At & { kind: 'Name'; name: string })
  | (At & { kind: 'NSRef'; name: string; attr: string })
  | (At & { kind: 'Tuple'; items: Expr[] })
  | (At & { kind: 'List'; items: Expr[] })
  | (At & { kind: 'Dict'; pairs: [Expr, Expr][] })
  | (At & { kind: 'Getattr'; obj: Expr; attr: string })
  | (At & { kind: 'Getitem'; obj: Expr; arg: Expr | Slice })
  | (At & CallArgs & { kind: 'Call'; callee: Expr })
  | (At & CallArgs & { kind: 'Filter'; operand: Expr | null; name: string })
  | (At & CallArgs & { kind: 'Test'; operand: Expr; name: string })
  | (At & { kind: 'CondExpr'; test: Expr; then: Expr; else?: Expr })
  | (At & { kind: 'And' | 'Or'; left: Expr; right: Expr })
  | (At & { kind: 'Not'; operand: Expr })
  | (At & { kind: 'Neg' | 'Pos'; operand: Expr })
  | (At & { kind: 'Compare'; left: Expr; ops: [CompareOp, Expr][] })
  | (At & { kind: 'BinOp'; op: BinaryOp; left: Expr; right: Expr })
  | (At & { kind: 'Concat'; items: Expr[] });

export type CompareOp = 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq' | 'in' | 'notin';
export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**';

/** Where a `{% set %}`/`{% for %}`/`{% with %}` stores: a name, a namespace attribute, or a tuple of them. */
export type Target = Expr;

export type Stmt =
  | (At & { kind: 'Output'; items: (Expr | (At & { kind: 'Data'; text: string }))[] })
  | (At & { kind: 'If'; test: Expr; body: Stmt[]; elifs: { pos: number; test: Expr; body: Stmt[] }[]; else: Stmt[] })
  | (At & { kind: 'For'; target: Target; iter: Expr; body: Stmt[]; else: Stmt[]; test?: Expr; recursive: boolean })
  | (At & { kind: 'Assign'; target: Target; expr: Expr })
  | (At & { kind: 'AssignBlock'; target: Target; filter?: Expr; body: Stmt[] })
  | (At & { kind: 'Macro'; name: string; params: string[]; defaults: Expr[]; body: Stmt[] })
  | (At & { kind: 'CallBlock'; call: Expr; params: string[]; defaults: Expr[]; body: Stmt[] })
  | (At & { kind: 'FilterBlock'; filter: Expr; body: Stmt[] })
  | (At & { kind: 'With'; targets: Target[]; values: Expr[]; body: Stmt[] })
  | (At & { kind: 'Break' | 'Continue' })
  /** transformers' AssistantTracker `{% generation %}`: renders its body and records the span. */
  | (At & { kind: 'Generation'; body: Stmt[] });

export interface Program {
  body: Stmt[];
}
