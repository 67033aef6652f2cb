#!/usr/bin/env node
// Operator CLI against a running config-loader: `npm run flow-oauth -- <command>` (see --help).
// Zero dependencies: Node's fetch, and the parsing/formatting modules in tools/cli/.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { USAGE, UsageError, parseArguments } = require('./cli/cli-arguments');
const { formatApiError, formatConfiguration, formatConnectorTypes, formatKeyRotation, formatPlan, formatUsers } = require('./cli/cli-output');
const { resolveSettings } = require('./cli/cli-settings');

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const REQUEST_TIMEOUT_MS = 120_000;

/** A failure already explained to the user (HTTP error, conflict, unreadable file): exit 1. */
class CommandFailed extends Error {}

// exitCode, not exit(): a large template piped to a file must be flushed before the process ends.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`flow-oauth: ${error.message}\nRun \`npm run flow-oauth -- --help\` for the commands and options.\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`flow-oauth: ${error instanceof CommandFailed ? error.message : error.stack || error}\n`);
    process.exitCode = EXIT_FAILED;
  },
);

async function main(argv) {
  const { command, args, options, flags } = parseArguments(argv);
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  const settings = resolveSettings({ options });
  if (!settings.key) {
    throw new UsageError(`no admin key found; looked at ${settings.looked.join(', ')}. Pass --key or set FLOW_ADMIN_KEY.`);
  }
  const api = (method, route, body) => request(settings, method, route, body);
  const print = (text) => process.stdout.write(`${text}\n`);
  const json = (value) => print(JSON.stringify(value, null, 2));

  switch (command) {
    case 'template': {
      const template = await api('GET', '/api/oauth-configurations/template');
      const text = `${JSON.stringify(template, null, 2)}\n`;
      if (!options.out) {
        process.stdout.write(text);
        return EXIT_OK;
      }
      if (fs.existsSync(options.out) && !flags.force) {
        throw new CommandFailed(`${options.out} exists (it may hold filled-in secrets); pass --force to overwrite it.`);
      }
      fs.writeFileSync(options.out, text, { mode: 0o600 });
      process.stderr.write(`Wrote the template for ${Object.keys(template).length} connector types to ${options.out}.\n`);
      process.stderr.write('Replace every <placeholder>, delete the types you do not use, then: npm run flow-oauth -- load ' + `${options.out} --dry-run\n`);
      return EXIT_OK;
    }
    case 'load': {
      const text = readFile(args[0]);
      const dryRun = Boolean(flags['dry-run']);
      const result = await api('POST', `/api/oauth-configurations${dryRun ? '?dryRun=true' : ''}`, text);
      if (flags.json) json(result);
      else print(formatPlan(result));
      const conflicts = (result.plan && result.plan.conflicts) || [];
      return conflicts.length > 0 ? EXIT_FAILED : EXIT_OK;
    }
    case 'list': {
      const configuration = await api('GET', '/api/oauth-configurations');
      if (flags.json) json(configuration);
      else print(formatConfiguration(configuration));
      return EXIT_OK;
    }
    case 'delete': {
      const [type, provider] = args;
      await api('DELETE', `/api/oauth-configurations/${encodeURIComponent(type)}/${encodeURIComponent(provider)}`);
      print(`Deleted OAuth provider "${provider}" of ${type}.`);
      return EXIT_OK;
    }
    case 'purge': {
      const [type, provider] = args;
      const query = options.user ? `?user=${encodeURIComponent(options.user)}` : '';
      const result = await api('DELETE', `/api/oauth-configurations/${encodeURIComponent(type)}/${encodeURIComponent(provider)}/tokens${query}`);
      if (flags.json) {
        json(result);
        return EXIT_OK;
      }
      const labels = Array.isArray(result.connectors) ? result.connectors : [];
      const whose = options.user ? ` of user ${options.user}` : '';
      print(
        labels.length === 0
          ? `No connectors${whose} use ${type}/${provider}; nothing to purge.`
          : `Purged the tokens of ${labels.length} connector(s)${whose} of ${type}/${provider}; they now need re-authorization: ${labels.join(', ')}`,
      );
      return EXIT_OK;
    }
    case 'types': {
      const catalog = await api('GET', '/api/connector-types');
      if (flags.json) json(catalog);
      else print(formatConnectorTypes(catalog));
      return EXIT_OK;
    }
    case 'users add': {
      const user = await api('POST', '/api/users', JSON.stringify({ name: args[0] }));
      // The one secret this CLI prints: the API shows a user key once, at creation, and never again.
      print(`Created user ${user.name}. Its API key, shown this once (store it now; it cannot be read again):\n${user.key}`);
      print(
        '\nWith it, the user starts a connection: POST /api/connectors/authorizations on flow-oauth-server, then opens the\n' +
          "answer's authorizeUrl (a single-use Flow link) in the browser that signs in at the provider; see --help.",
      );
      return EXIT_OK;
    }
    case 'users list': {
      const users = await api('GET', '/api/users');
      if (flags.json) json(users);
      else print(formatUsers(users));
      return EXIT_OK;
    }
    case 'users rm': {
      await api('DELETE', `/api/users/${encodeURIComponent(args[0])}`);
      print(`Deleted user ${args[0]}; its key no longer works.`);
      return EXIT_OK;
    }
    case 'rotate-key': {
      const result = await api('POST', '/api/encryption-key/rotation');
      if (flags.json) json(result);
      else print(formatKeyRotation(result));
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function readFile(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandFailed(`cannot read ${path.resolve(file)}: ${error.code || error.message}`);
  }
}

/** One API call; the parsed JSON answer on 2xx, a CommandFailed with the formatted error otherwise. */
async function request(settings, method, route, body) {
  const url = `${settings.url}${route}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { appKey: settings.key, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error.cause && (error.cause.code || error.cause.message)) || error.message;
    throw new CommandFailed(`cannot reach config-loader at ${settings.url} (${cause}). Is it running (npx pm2 ls)? Set --url or FLOW_CONFIG_LOADER_URL if it listens elsewhere.`);
  }
  const text = await response.text();
  let answer;
  try {
    answer = text ? JSON.parse(text) : undefined;
  } catch {
    answer = text;
  }
  if (!response.ok) {
    let message = formatApiError(response.status, answer);
    if (response.status === 401) message += `\n(the admin key came from ${settings.keySource})`;
    throw new CommandFailed(message);
  }
  return answer;
}
