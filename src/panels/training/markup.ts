// The training dashboard's static markup (our own constant string; every dynamic value is set by
// the webview, webview/training/, with textContent). The shell around it is src/panels/shell.ts.
export const DASHBOARD_TITLE = 'Training';

export const DASHBOARD_BODY = `
<header class="bar">
  <div id="status" class="status">no run</div>
  <div class="buttons">
    <vscode-button id="stop-button" secondary disabled>Stop</vscode-button>
    <vscode-button id="resume-button" secondary disabled>Resume</vscode-button>
  </div>
</header>
<div id="config" class="muted"></div>
<div id="error-box" class="error" hidden></div>
<section class="grid">
  <div class="card"><h3>Loss <span class="muted">(<span id="points-count">0</span> points)</span></h3><div id="loss-chart" class="chart"></div></div>
  <div class="card"><h3>Learning rate</h3><div id="lr-chart" class="chart"></div></div>
  <div class="card"><h3>Throughput <span id="throughput" class="value">—</span></h3><div id="throughput-chart" class="chart"></div></div>
  <div class="card"><h3>Data wait vs compute <span id="data-wait" class="value">—</span></h3><div id="time-chart" class="chart"></div></div>
  <div class="card"><h3>GPU memory <span id="gpu-memory" class="value">—</span></h3><div id="memory-chart" class="chart"></div></div>
  <div class="card"><h3>Checkpoints</h3><ul id="checkpoints" class="list"></ul><h3>Warnings</h3><ul id="warnings" class="list"></ul></div>
</section>
<details id="log-box"><summary>Runtime output</summary><pre id="log"></pre></details>
`;
