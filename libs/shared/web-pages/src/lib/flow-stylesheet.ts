/** Path of the one stylesheet every page links (served by the app; CSP allows styles from 'self' only). */
export const STYLESHEET_PATH = '/assets/flow.css';

/** The stylesheet itself. A .ts module because the build copies nothing but compiled .ts into dist/. */
export const FLOW_STYLESHEET = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.4rem}
.ok{color:#0a6}
.fail{color:#b00}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:1.2rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;word-break:break-all}
button{font:inherit;padding:.5rem 1.1rem;border:1px solid #0a58ca;border-radius:.3rem;background:#0d6efd;color:#fff;cursor:pointer}
.note{color:#555;font-size:.9rem}
code{background:#f3f3f3;padding:0 .2rem}
`;
