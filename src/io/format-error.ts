/**
 * FormatError: the one error every file reader throws for a truncated, corrupt or hostile input (weights files,
 * the zip and pickle layers under them, IDX, CIFAR, JSON configs). It carries the format, the problem and,
 * when known, the file, so callers can tell "this file is bad" from a bug (any other exception type).
 * Not for I/O failures (a missing file is the OS's error) or for programming errors in our own code.
 * A leaf module with no imports, so every layer (models' config, data, io) may use it.
 */

/** The format whose rules were broken; 'pth' covers torch.save's pickle, 'zip' its container. */
export type FileFormat = 'safetensors' | 'pth' | 'zip' | 'weights' | 'idx' | 'cifar10' | 'cifar100' | 'config' | 'image';

export class FormatError extends Error {
  override readonly name = 'FormatError';

  /**
   * Message: "<file>: <format>: <detail>" when the file is known, else "<format>: <detail>"; one line.
   * @param format the format whose rules were broken
   * @param detail what is wrong, one line (newlines are replaced)
   * @param file the file's path, when the reader knows it
   */
  constructor(readonly format: FileFormat, readonly detail: string, readonly file?: string) {
    const one = detail.replace(/\s*\n\s*/g, ' ');
    super(file === undefined ? `${format}: ${one}` : `${file}: ${format}: ${one}`);
    this.detail = one;
  }

  /** The same error, now naming the file (a reader of bytes learns the path from its caller). */
  inFile(file: string): FormatError {
    return this.file === file ? this : new FormatError(this.format, this.detail, file);
  }
}

/** Throws a FormatError (a `never` helper for readers: `fail('zip', 'truncated ...')`). */
export function formatFail(format: FileFormat, detail: string, file?: string): never {
  throw new FormatError(format, detail, file);
}
