// Tiny DOM helpers for the dataset panel. Text always goes in through textContent:
// dataset cells may hold markup (`<img onerror=…>`, `<script>`) that must show as text.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dataset panel: missing #${id}`);
  return node as T;
}

export function clear(node: Element): void {
  node.replaceChildren();
}

/** `file:line: message` / `file (byte N): message`, the same one-line form as the CLI (src/core/datasets/errors.ts). */
export function describeError(e: { file: string; line?: number; byteOffset?: number; message: string }): string {
  if (!e.file) return e.message;
  if (e.line !== undefined) return `${e.file}:${e.line}: ${e.message}`;
  if (e.byteOffset !== undefined) return `${e.file} (byte ${e.byteOffset}): ${e.message}`;
  return `${e.file}: ${e.message}`;
}
