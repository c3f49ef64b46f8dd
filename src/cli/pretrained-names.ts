/**
 * The names `--pretrained` takes, for help texts: hub/pretrained.ts's table spelled out, so that starting the CLI
 * does not import the downloader (node:https, node:crypto). test/cli/cli.test.ts checks that the two agree.
 */
export const PRETRAINED_NAMES: readonly string[] = ['densenet121', 'densenet169', 'densenet201', 'densenet161'];
