/**
 * ISO 20022 text fields have a maximum length (Max35Text, Max105Text, Max350Text ...). A text the
 * switch writes into one (a file name, a finding's message) is cut to fit, its last kept character an
 * ellipsis so a reader sees it was cut.
 */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
