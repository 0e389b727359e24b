/**
 * A page-trained run as a zip of its run directory (`<id>/run.json`, `<id>/metrics.jsonl`,
 * `<id>/checkpoints/seqs-N.safetensors`), built with fflate in memory and handed to the browser as a download.
 */
import { zipSync } from 'fflate';

/** `files` (relative path → bytes, from the train worker's `pageRunFiles`) under the directory `id`. */
export function runZip(files: Record<string, Uint8Array>, id: string): Uint8Array {
  // Checkpoints are float noise to deflate; store them and compress the text files.
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, bytes]) => [`${id}/${name}`, [bytes, { level: name.endsWith('.safetensors') ? 0 : 6 }]])));
}

export function download(bytes: Uint8Array, name: string, type = 'application/zip'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
