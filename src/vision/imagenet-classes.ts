/**
 * The 1000 ImageNet-1k class names in torchvision's order (the index of a logit is the class). SCAFFOLD: the
 * names ship as data written by the reference script; until then this throws.
 */
export function imagenetClasses(): string[] {
  throw new Error('imagenet-classes: the class list is not bundled yet');
}
