/** Path of the one stylesheet every page links (served by the app; CSP allows styles from 'self' only). */
export const STYLESHEET_PATH = '/assets/flow.css';

/**
 * The stylesheet itself. A .ts module because the build copies nothing but compiled .ts into dist/.
 * No script anywhere: disclosure is `<details>`, focus is the browser's own outline (never removed).
 */
export const FLOW_STYLESHEET = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.45}
body.wide{max-width:72rem;margin-top:1.5rem}
h1{font-size:1.4rem}
h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h3{font-size:1rem}
.ok{color:#0a6}
.fail{color:#b00}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:1.2rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;word-break:break-all}
button{font:inherit;padding:.45rem 1rem;border:1px solid #0a58ca;border-radius:.3rem;background:#0d6efd;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0a58ca}
button.danger{background:#fff;color:#b00;border-color:#b00}
button.small{padding:.2rem .6rem;font-size:.9rem}
.note{color:#555;font-size:.9rem}
code{background:#f3f3f3;padding:0 .2rem}
header.bar{display:flex;justify-content:space-between;align-items:center;gap:1rem;border-bottom:1px solid #ddd;padding-bottom:.5rem;font-size:.95rem}
header.bar form{margin:0}
nav.sections a{margin-right:1rem}
form.inline{display:inline;margin:0}
form.stack{display:grid;gap:.8rem;max-width:34rem;margin:1rem 0}
form.stack label{display:grid;gap:.2rem;font-weight:600}
label .hint{font-weight:400;color:#555;font-size:.9rem}
input,select,textarea{font:inherit;font-weight:400;padding:.35rem;border:1px solid #999;border-radius:.25rem}
textarea{font-family:ui-monospace,monospace;font-size:.85rem;width:100%;box-sizing:border-box}
fieldset{border:1px solid #ccc;border-radius:.3rem}
table.list{border-collapse:collapse;width:100%;margin:.8rem 0}
table.list th,table.list td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
table.list th{background:#f6f6f6}
table.list td.actions{white-space:nowrap}
table.list td.num,table.list th.num{text-align:right}
tr.highlight td{background:#e8f6ee}
.badge{display:inline-block;padding:0 .45rem;border-radius:.7rem;font-size:.85rem;border:1px solid}
.badge.active,.badge.state-ok{color:#075;border-color:#075}
.badge.needs_reauth,.badge.state-credentials_rejected{color:#b00;border-color:#b00}
.badge.refresh_failed{color:#a60;border-color:#a60}
.warning{color:#b00}
.box{border:1px solid;border-radius:.3rem;padding:.6rem .9rem;margin:1rem 0}
.box.error{border-color:#b00;background:#fdf0f0}
.box.success{border-color:#075;background:#eef8f2}
.box.info{border-color:#0a58ca;background:#eef4fd}
.secret-once{font-family:ui-monospace,monospace;font-size:1rem;background:#fff;border:1px dashed #075;padding:.4rem;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #ddd;border-radius:.3rem;padding:.6rem .9rem;min-width:10rem}
.card .figure{font-size:1.6rem;font-weight:600}
.chart svg{max-width:100%;height:auto}
.legend span{margin-right:1rem}
.swatch-refreshed{color:#198754}
.swatch-failed{color:#dc3545}
ol.lines{font-family:ui-monospace,monospace;font-size:.85rem;padding-left:3.5rem}
.errors td.line{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
td.detail code{white-space:pre-wrap;word-break:break-all}
details{margin:.6rem 0}
summary{cursor:pointer}
.steps{color:#555}
`;
