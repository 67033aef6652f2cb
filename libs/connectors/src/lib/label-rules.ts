/** Connector labels: case-sensitive, letters, digits, `_` and `-`, not starting with a digit (ThingWorx rule). */
export const LABEL_PATTERN = /^[A-Za-z_-][A-Za-z0-9_-]{0,127}$/;

/** Why a label is refused, or undefined when it is fine. */
export function labelProblem(label: unknown): string | undefined {
  if (typeof label !== 'string' || label.length === 0) return 'label is required';
  if (label.length > 128) return 'label must be at most 128 characters';
  if (/^[0-9]/.test(label)) return 'label must not start with a digit';
  if (!LABEL_PATTERN.test(label)) return 'label may contain only letters, digits, _ and - (no spaces or other characters)';
  return undefined;
}
