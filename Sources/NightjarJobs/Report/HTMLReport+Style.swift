/// The report's inline stylesheet.
///
/// System fonts only (nothing to download), a readable column width, and a print style that keeps
/// the status colours and avoids splitting a chart or table across pages.
extension HTMLReport {
    static let stylesheet = """

    :root {
      --fg: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --card: #ffffff;
      --ok: #2f9e5b; --ok-bg: #e3f6ea; --warn: #d98a00; --warn-bg: #fff4dc;
      --fail: #d64545; --fail-bg: #fde8e8; --info: #2f6fde; --info-bg: #e4edfc;
      --ref: #9aa5b1; --cur: #2f6fde;
    }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; }
    body {
      margin: 0; background: var(--bg); color: var(--fg);
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
    }
    main { max-width: 1000px; margin: 0 auto; padding: 28px 20px 40px; }
    section {
      background: var(--card); border: 1px solid var(--line); border-radius: 10px;
      padding: 20px 24px; margin-bottom: 20px;
    }
    h1 { font-size: 26px; margin: 0; line-height: 1.2; word-break: break-word; }
    h2 { font-size: 18px; margin: 0 0 8px; }
    h3 { font-size: 15px; margin: 20px 0 8px; }
    code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
    .title { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; }
    .eyebrow { margin: 0 0 2px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
    .meta { margin: 6px 0 0; color: var(--muted); }
    .meta strong { color: var(--fg); }
    .badges { display: flex; gap: 8px; flex-wrap: wrap; justify-content: flex-end; }
    .badge {
      display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600;
      text-transform: uppercase; letter-spacing: .04em; white-space: nowrap; border: 1px solid transparent;
    }
    .title .badge { font-size: 13px; padding: 4px 12px; }
    .badge.ok { color: #1d6b3c; background: var(--ok-bg); border-color: #b6e4c6; }
    .badge.warn { color: #8a5700; background: var(--warn-bg); border-color: #f3d79b; }
    .badge.fail { color: #a12b2b; background: var(--fail-bg); border-color: #f4baba; }
    .badge.info { color: #1f4fa3; background: var(--info-bg); border-color: #b9cdf5; }
    .badge.neutral { color: var(--muted); background: var(--bg); border-color: var(--line); }
    .error {
      margin: 16px 0 0; padding: 12px 14px; border-left: 4px solid var(--fail);
      background: var(--fail-bg); border-radius: 6px;
    }
    .error pre { margin: 4px 0 0; white-space: pre-wrap; word-break: break-word; }
    .stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px; margin-top: 18px; }
    .stat { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
    .stat .label { color: var(--muted); font-size: 12px; }
    .stat .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .stat .note { color: var(--muted); font-size: 12px; }
    .times { margin: 12px 0 0; color: var(--muted); font-size: 13px; }
    .lede { margin: 0 0 10px; color: var(--muted); }
    .empty { margin: 0; color: var(--muted); font-style: italic; }
    .legend { display: flex; align-items: center; flex-wrap: wrap; gap: 6px; font-size: 13px; color: var(--muted); margin-bottom: 4px; }
    .legend .key { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-left: 12px; }
    .legend .key:first-child { margin-left: 0; }
    .legend .key.ref { background: var(--ref); } .legend .key.cur { background: var(--cur); }
    .legend .key.ok { background: var(--ok); } .legend .key.warn { background: var(--warn); }
    .legend .key.fail { background: var(--fail); }
    .legend .key.line { width: 16px; height: 0; border-radius: 0; border-top: 2px dashed; }
    .legend .key.line.warn { background: none; border-color: var(--warn); }
    .legend .key.line.fail { background: none; border-color: var(--fail); }
    svg.chart { display: block; width: 100%; height: auto; margin: 6px 0 12px; font-family: inherit; }
    svg .grid { stroke: var(--line); stroke-width: 1; }
    svg .baseline { stroke: #9aa5b1; stroke-width: 1; }
    svg .axis { fill: var(--muted); font-size: 12px; }
    svg .axis.title { font-size: 12px; font-weight: 600; }
    svg .label { fill: var(--fg); font-size: 13px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    svg .value { fill: var(--fg); font-size: 12px; font-variant-numeric: tabular-nums; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
    svg .bar.ref { fill: var(--ref); } svg .bar.cur { fill: var(--cur); }
    svg .bar.ok { fill: var(--ok); } svg .bar.warn { fill: var(--warn); }
    svg .bar.fail { fill: var(--fail); } svg .bar.info, svg .bar.neutral { fill: var(--ref); }
    svg .threshold { stroke-width: 1.5; stroke-dasharray: 5 4; }
    svg .threshold.warn { stroke: var(--warn); } svg .threshold.fail { stroke: var(--fail); }
    svg .threshold-label { font-size: 11px; font-weight: 600; }
    svg .threshold-label.warn { fill: var(--warn); } svg .threshold-label.fail { fill: var(--fail); }
    table.data { width: 100%; border-collapse: collapse; font-size: 14px; }
    table.data th, table.data td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
    table.data th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
    table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.data .strong { font-weight: 600; }
    table.data tbody tr:last-child td { border-bottom: none; }
    code.value { background: var(--bg); padding: 1px 4px; border-radius: 4px; word-break: break-all; }
    dl.lineage { display: grid; grid-template-columns: 140px 1fr; gap: 6px 16px; margin: 0; }
    dl.lineage dt { color: var(--muted); }
    dl.lineage dd { margin: 0; word-break: break-word; }
    code.hash { word-break: break-all; }
    footer { color: var(--muted); font-size: 12px; text-align: center; }
    @media print {
      body { background: #fff; font-size: 12px; }
      main { max-width: none; padding: 0; }
      section { border: none; border-radius: 0; padding: 0 0 12px; margin-bottom: 16px; break-inside: avoid; page-break-inside: avoid; }
      section + section { border-top: 1px solid var(--line); padding-top: 12px; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }

    """
}
