/** Text for the report's HTML and SVG: every record field is user data (a reason, a tag), so it is escaped before it is written. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values, of HTML and of SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** A coordinate as the SVG writes it: at most one decimal, so the same input always gives the same text. */
export function coordinate(value: number): string {
  return String(Math.round(value * 10) / 10);
}
