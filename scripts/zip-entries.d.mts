export interface ZipEntry {
  name: string;
  compressedSize: number;
  size: number;
}
export function zipEntries(file: string): ZipEntry[];
export function codeBytes(file: string): number;
