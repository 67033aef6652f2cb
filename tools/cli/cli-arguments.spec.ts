import { parseArguments, UsageError } from './cli-arguments';

describe('parseArguments', () => {
  it('reads a command with its positional arguments and flags', () => {
    expect(parseArguments(['load', 'oauth.json', '--dry-run'])).toEqual({
      command: 'load',
      args: ['oauth.json'],
      options: {},
      flags: { 'dry-run': true },
    });
  });

  it('accepts options as --name value and --name=value, anywhere on the line', () => {
    const parsed = parseArguments(['--url', 'http://flow:3001', 'purge', 'slack', 'Slack-1', '--user=bob', '--key', 'k']);
    expect(parsed).toEqual({
      command: 'purge',
      args: ['slack', 'Slack-1'],
      options: { url: 'http://flow:3001', user: 'bob', key: 'k' },
      flags: {},
    });
  });

  it('joins users and its subcommand into one command', () => {
    expect(parseArguments(['users', 'add', 'alice']).command).toBe('users add');
    expect(parseArguments(['users', 'list']).args).toEqual([]);
    expect(parseArguments(['users', 'rm', 'alice']).args).toEqual(['alice']);
  });

  it('keeps provider names with spaces and leading dashes after --', () => {
    expect(parseArguments(['delete', 'google_task', 'Google Tasks']).args).toEqual(['google_task', 'Google Tasks']);
    expect(parseArguments(['delete', '--', 'slack', '-odd-']).args).toEqual(['slack', '-odd-']);
  });

  it('reads rotate-key, which takes no argument', () => {
    expect(parseArguments(['rotate-key', '--json'])).toEqual({ command: 'rotate-key', args: [], options: {}, flags: { json: true } });
    expect(() => parseArguments(['rotate-key', 'now'])).toThrow('unexpected argument "now"');
  });

  it('answers help for --help, -h and help, even after a command', () => {
    expect(parseArguments(['--help']).command).toBe('help');
    expect(parseArguments(['-h']).command).toBe('help');
    expect(parseArguments(['help']).command).toBe('help');
    expect(parseArguments(['load', '--help']).command).toBe('help');
  });

  it.each([
    [[], /no command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['users'], /subcommand/],
    [['users', 'grant'], /unknown command "users grant"/],
    [['load'], /load needs <file>/],
    [['delete', 'slack'], /delete needs <type> <provider>/],
    [['list', 'extra'], /unexpected argument "extra"/],
    [['list', '--dry-run'], /list does not take --dry-run/],
    [['load', 'f.json', '--user', 'bob'], /load does not take --user/],
    [['template', '--out'], /--out needs a value/],
    [['load', 'f.json', '--dry-run=yes'], /takes no value/],
    [['list', '-x'], /unknown option -x/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseArguments(argv as string[])).toThrow(UsageError);
    expect(() => parseArguments(argv as string[])).toThrow(message);
  });
});
