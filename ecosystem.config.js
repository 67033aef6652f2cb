// pm2 process file: `npm start` uses it, and so do `npx pm2 restart flow-oauth-server` and friends.
// The apps read their configuration from the environment and `.env` themselves (libs/shared/config),
// so nothing here sets variables: whatever environment pm2 is started with passes through.
const fs = require('node:fs');
const path = require('node:path');

/** Exit code of a process that refused to start because of its configuration: restarting cannot help. */
const CONFIG_ERROR_EXIT_CODE = builtConfigLib().CONFIG_EXIT_CODE;

/** The config lib as the processes run it (dist/), so the code is defined once; pm2 can run nothing before a build. */
function builtConfigLib() {
  const file = path.join(__dirname, 'dist', 'libs', 'shared', 'config', 'src', 'index.js');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (npm start builds, or npm run build)`);
  return require(file);
}

/** One pm2 app per Nest app, all alike apart from name and entry point. */
function app(name) {
  return {
    name,
    script: path.join('dist', 'apps', name, 'src', 'main.js'),
    cwd: __dirname,
    exec_mode: 'fork',
    // Scale token-refresher and flow-oauth-server with `instances` here or `npx pm2 scale <name> <n>`.
    // pm2 numbers the instances of an app in NODE_APP_INSTANCE (fork mode too), and instance i
    // listens on its configured port + 100 × i, so each has its own /health and /metrics
    // (3000, 3100 ... for flow-oauth-server; 3002, 3102 ... for token-refresher). Keep config-loader
    // at 1: it runs the migrations at start.
    instances: 1,
    instance_var: 'NODE_APP_INSTANCE',
    node_args: ['--enable-source-maps'],
    // main.ts sends process.send('ready') once it listens; pm2 waits for it, not just for the fork.
    wait_ready: true,
    listen_timeout: 15_000,
    // pm2 sends SIGINT, then SIGKILL after kill_timeout (default 1.6 s). Nest's shutdown hooks stop
    // the due-refresh loop and the BullMQ workers, which finish what they have in hand: give a token
    // refresh (15 s provider timeout at most) time to finish.
    kill_timeout: 30_000,
    autorestart: true,
    // A fault that persists (database gone, port taken) restarts after 1 s, 1.5 s, 2.25 s ... up to
    // 15 s, instead of pm2's default immediate crash loop; the delay resets after 30 s of uptime.
    exp_backoff_restart_delay: 1_000,
    stop_exit_codes: [CONFIG_ERROR_EXIT_CODE],
    max_memory_restart: '512M',
    merge_logs: true,
    watch: false,
  };
}

module.exports = {
  apps: [app('config-loader'), app('flow-oauth-server'), app('token-refresher')],
};
