// Typed messages between the extension host (src/) and the webview panels (webview/).
// One file for all panels; each panel owns its own section. Keep messages plain JSON-serialisable.
import type { ColumnInfo, DatasetStats, ReadError, TokenChip } from '../src/data/types';
import type { CharSpan, LintFinding, TemplateErrorInfo } from '../src/template/types';

// ── dataset panel ──────────────────────────────────────────────────────────────
export type DatasetToWebview = { type: 'dataset/placeholder' } & Partial<{ columns: ColumnInfo[]; stats: DatasetStats; errors: ReadError[]; chips: TokenChip[] }>;
export type DatasetFromWebview = { type: 'dataset/ready' };

// ── template preview panel ─────────────────────────────────────────────────────
export type TemplateToWebview = { type: 'template/placeholder' } & Partial<{ spans: CharSpan[]; lint: LintFinding[]; error: TemplateErrorInfo }>;
export type TemplateFromWebview = { type: 'template/ready' };

// ── training dashboard ─────────────────────────────────────────────────────────
export type TrainingToWebview = { type: 'training/placeholder' };
export type TrainingFromWebview = { type: 'training/ready' };

// ── safetensors viewer ─────────────────────────────────────────────────────────
export type SafetensorsToWebview = { type: 'safetensors/placeholder' };
export type SafetensorsFromWebview = { type: 'safetensors/ready' };
