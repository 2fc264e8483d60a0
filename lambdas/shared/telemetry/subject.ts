/**
 * The subject line of a notification: "Baton: <service> <tag> <outcome>".
 * SNS takes a subject of fewer than 100 characters without line breaks or
 * control characters (Publish, "Subject"; older pages of the API reference
 * say ASCII only, which is what is kept here, since an email client shows it
 * as it is). A long service or image name is cut, never the outcome: a
 * subject read in a mail list must still say what happened.
 */

/** SNS refuses a subject of 100 characters or more. */
export const MAX_SUBJECT_LENGTH = 99;
const PREFIX = 'Baton: ';
const ELLIPSIS = '...';

/** Printable ASCII only: line breaks and tabs become spaces, anything else a question mark. */
function ascii(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
}

function cut(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, Math.max(0, length - ELLIPSIS.length)).trimEnd()}${ELLIPSIS}`;
}

/** "Baton: <what> <outcome>", cut in `what` to fit. */
export function subjectLine(what: string, outcome: string): string {
  const head = ascii(what);
  const tail = ascii(outcome);
  const room = MAX_SUBJECT_LENGTH - PREFIX.length - tail.length - 1;
  // An outcome so long that no room is left for the name: the whole line is cut instead.
  if (room < ELLIPSIS.length + 1) return cut(`${PREFIX}${head} ${tail}`, MAX_SUBJECT_LENGTH);
  return `${PREFIX}${cut(head, room)} ${tail}`;
}

/**
 * The image as a subject names it: the tag, or a digest cut to its first 12
 * hex digits (as `docker images` shows it); a full digest is 71 characters.
 */
export function shortImage(image: string): string {
  return image.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1');
}
