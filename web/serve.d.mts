/** Types of serve.mjs (the demo page's bundler and loopback server) for the TypeScript tests and bench. */
export declare const WEB_DIR: string;
export declare function buildWeb(): Promise<void>;
export declare function startWebServer(opts?: { port?: number; extraDir?: string }): Promise<{ url: string; port: number; close(): Promise<void> }>;
