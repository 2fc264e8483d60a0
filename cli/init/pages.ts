/**
 * Every page of a listing AWS pages (a marker or token in, the next out),
 * bounded: discovery reads what it needs and never loops on a token that
 * keeps coming back.
 */
export async function allPages<T>(
  maxPages: number,
  page: (token: string | undefined) => Promise<{ readonly items: readonly T[]; readonly next: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const out = await page(token);
    items.push(...out.items);
    token = out.next;
    if (!token) break;
  }
  return items;
}
