// Types of cli-arguments.js (plain JavaScript so the CLI runs without a build) for the specs.

export class UsageError extends Error {}

export interface CommandSpec {
  args: string[];
  options: string[];
  flags: string[];
  summary: string;
}

export interface ParsedArguments {
  command: string;
  args: string[];
  options: Record<string, string>;
  flags: Record<string, boolean>;
}

export const COMMANDS: Record<string, CommandSpec>;
export const USAGE: string;
export function parseArguments(argv: string[]): ParsedArguments;
