/** Trainable parameter counts of the named variants (the table: torchvision's and the paper's). */
export const EXPECTED_PARAMS: Record<string, number> = {
  densenet121: 7_978_856,
  densenet169: 14_149_480,
  densenet201: 20_013_928,
  densenet161: 28_681_000,
  densenet264: 33_337_704,
  densenet40: 1_019_722,
  'densenet100-k12': 6_979_642,
  'densenet100-k24': 27_249_082,
  'densenet-bc-100': 769_162,
  'densenet-bc-250': 15_324_406,
  'densenet-bc-190': 25_624_430,
};
