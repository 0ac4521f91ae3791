export {};
//# sourceMappingURL=cli-commands.test.d.ts.map