/**
 * Generated sections of a hand-written doc: the text between `<!-- name:start ... -->` and `<!-- name:end -->`
 * (anything after the name in the start marker is a note for readers). `npm run generate` rewrites only what lies
 * between the markers; the prose around them stays the author's.
 */

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const sectionPattern = (name: string) =>
  new RegExp(
    `(<!-- ${escapeRegExp(name)}:start(?: [^>]*)? -->\\n)([\\s\\S]*?)\\n?(<!-- ${escapeRegExp(name)}:end -->)`,
  );

/** Thrown when a doc lacks the markers of a section it must carry. */
export class MissingSectionError extends Error {
  override readonly name = "MissingSectionError";
}

const missing = (file: string, name: string) =>
  new MissingSectionError(
    `${file} has no <!-- ${name}:start --> ... <!-- ${name}:end --> section: put the two markers back where the generated text belongs, then run \`npm run generate\``,
  );

/** The text between a section's markers. */
export function generatedSection(doc: string, name: string, file: string): string {
  const match = sectionPattern(name).exec(doc);
  if (!match) throw missing(file, name);
  return match[2] as string;
}

/** The doc with each named section's text replaced (markers and the prose around them kept). */
export function replaceSections(
  doc: string,
  sections: Readonly<Record<string, string>>,
  file: string,
): string {
  let out = doc;
  for (const [name, text] of Object.entries(sections)) {
    const pattern = sectionPattern(name);
    if (!pattern.test(out)) throw missing(file, name);
    out = out.replace(pattern, (_m, start: string, _old: string, end: string) => `${start}${text}\n${end}`);
  }
  return out;
}

/** A doc whose sections are generated: its prose is written by hand, so it must exist. */
export function requiredDoc(tree: { read(path: string): string | undefined }, path: string): string {
  const text = tree.read(path);
  if (text === undefined)
    throw new Error(
      `${path} is missing: restore it (git checkout -- ${path}), then run \`npm run generate\``,
    );
  return text;
}
