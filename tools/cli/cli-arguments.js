// Command line of `npm run flow-oauth -- <command>`: which commands exist, and parsing argv into them.
'use strict';

/** Thrown for a command line we cannot run; the CLI prints it with the usage and exits 2. */
class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

const GLOBAL_OPTIONS = ['url', 'key'];
const GLOBAL_FLAGS = ['help', 'json'];

/** Each command: its positional arguments, options taking a value, and boolean flags. */
const COMMANDS = {
  template: { args: [], options: ['out'], flags: ['force'], summary: 'print the sample file for all 26 connector types (or write it with --out)' },
  load: { args: ['file'], options: [], flags: ['dry-run'], summary: 'load a configuration file; --dry-run shows the plan and writes nothing' },
  list: { args: [], options: [], flags: [], summary: 'the loaded providers, secrets redacted' },
  delete: { args: ['type', 'provider'], options: [], flags: [], summary: 'delete a provider (refused while a connector uses it)' },
  purge: { args: ['type', 'provider'], options: ['user'], flags: [], summary: "delete the tokens of a provider's connectors (of one --user, or all)" },
  types: { args: [], options: [], flags: [], summary: 'the connector types and their required parameters' },
  'users add': { args: ['name'], options: [], flags: [], summary: 'create a user and print its key (shown once)' },
  'users list': { args: [], options: [], flags: [], summary: 'the users (never their keys)' },
  'users rm': { args: ['name'], options: [], flags: [], summary: 'delete a user; its key stops working' },
  'rotate-key': { args: [], options: [], flags: [], summary: 're-seal every stored secret and token with FLOW_ENCRYPTION_KEY (see README, Key rotation)' },
};

const USAGE = [
  'Usage: npm run flow-oauth -- <command> [arguments] [options]',
  '',
  'Commands:',
  ...Object.entries(COMMANDS).map(([name, spec]) => {
    const words = [name, ...spec.args.map((a) => `<${a}>`), ...spec.options.map((o) => `[--${o} <${o}>]`), ...spec.flags.map((f) => `[--${f}]`)];
    return `  ${words.join(' ').padEnd(44)} ${spec.summary}`;
  }),
  '',
  'Options:',
  '  --url <url>   config-loader base URL (FLOW_CONFIG_LOADER_URL, default http://localhost:3001)',
  '  --key <key>   admin key (FLOW_ADMIN_KEY, else .env, else data/generated-keys.json from npm start)',
  '  --json        print the API answer as JSON instead of a table',
  '  --help        this text',
  '',
  'Exit status: 0 success, 1 invalid file / conflict / HTTP or network error, 2 usage error.',
  '',
  'Connecting users (flow-oauth-server, with a user key from `users add`):',
  '  POST /api/connectors/authorizations answers { authorizeUrl, state, expiresAt }. authorizeUrl is a',
  '  single-use Flow link (<FLOW_PUBLIC_URL>/Thingworx/Oauths/oauth/start?id=...), valid 10 minutes:',
  '  open it in the browser that will sign in. Flow shows who will own the connector and, once',
  '  confirmed, binds the sign-in to that browser with a cookie and sends it on to the provider; the',
  '  provider\'s redirect back is accepted only in that browser.',
].join('\n');

/**
 * Parses argv (without node and the script) into `{ command, args, options, flags }`.
 * Accepts `--name value` and `--name=value`; `--` ends the options. Throws UsageError.
 */
function parseArguments(argv) {
  const words = [];
  const options = {};
  const flags = {};
  let onlyWords = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (onlyWords || !word.startsWith('-') || word === '-') {
      words.push(word);
      continue;
    }
    if (word === '--') {
      onlyWords = true;
      continue;
    }
    if (word === '-h') {
      flags.help = true;
      continue;
    }
    if (!word.startsWith('--')) throw new UsageError(`unknown option ${word}`);
    const eq = word.indexOf('=');
    const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
    if (!name) throw new UsageError(`unknown option ${word}`);
    const takesValue = GLOBAL_OPTIONS.includes(name) || Object.values(COMMANDS).some((c) => c.options.includes(name));
    if (takesValue) {
      const value = eq === -1 ? argv[++i] : word.slice(eq + 1);
      if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    }
  }

  if (words.length === 0) {
    if (flags.help) return { command: 'help', args: [], options, flags };
    throw new UsageError('no command given');
  }
  let command = words.shift();
  if (command === 'help') return { command: 'help', args: [], options, flags };
  if (command === 'users') {
    const sub = words.shift();
    if (!sub) throw new UsageError('users needs a subcommand: add, list or rm');
    command = `users ${sub}`;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${command}"`);
  if (flags.help) return { command: 'help', args: [], options, flags };

  for (const name of Object.keys(options)) {
    if (!GLOBAL_OPTIONS.includes(name) && !spec.options.includes(name)) throw new UsageError(`${command} does not take --${name}`);
  }
  for (const name of Object.keys(flags)) {
    if (!GLOBAL_FLAGS.includes(name) && !spec.flags.includes(name)) throw new UsageError(`${command} does not take --${name}`);
  }
  if (words.length < spec.args.length) {
    throw new UsageError(`${command} needs ${spec.args.map((a) => `<${a}>`).join(' ')}`);
  }
  if (words.length > spec.args.length) throw new UsageError(`${command}: unexpected argument "${words[spec.args.length]}"`);
  return { command, args: words, options, flags };
}

module.exports = { COMMANDS, USAGE, UsageError, parseArguments };
