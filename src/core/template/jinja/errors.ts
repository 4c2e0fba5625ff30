// Errors raised where Python's jinja2/transformers raise. `offset` is set once known: the position in the
// (newline-normalised) template source of the tag being evaluated, turned into line/column by the caller.
import type { TemplateErrorInfo } from '../types';

export type ErrorKind = TemplateErrorInfo['kind'];

export class TemplateRuntimeError extends Error {
  offset?: number;
  constructor(
    message: string,
    readonly kind: ErrorKind,
    /** Python's exception class, e.g. TypeError, UndefinedError, TemplateError. */
    readonly pyClass: string = kind === 'type'
      ? 'TypeError'
      : kind === 'raise_exception'
        ? 'TemplateError'
        : kind === 'syntax'
          ? 'TemplateSyntaxError'
          : 'RuntimeError',
  ) {
    super(message);
  }
}

export class TemplateError extends Error {
  constructor(readonly info: TemplateErrorInfo & { pyClass?: string }) {
    super(
      info.line !== undefined
        ? `${info.message} (template line ${info.line}, column ${info.column ?? 1})`
        : info.message,
    );
    this.name = 'TemplateError';
  }
}

/** 1-based line and column of `offset` in `source`. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
