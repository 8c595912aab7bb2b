/** Reads a `streamText` result's text to the end. */
export async function readText(result: { textStream: AsyncIterable<string> }): Promise<string> {
  let text = '';
  for await (const delta of result.textStream) text += delta;
  return text;
}
