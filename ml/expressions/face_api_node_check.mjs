// face-api.js's own FaceExpressionNet under Node, on the crops face_api_node_check.py writes: the reference the
// torch port (face_api.py) is checked against. tfjs's CPU backend (pure JavaScript, nothing native to download).
//
//   node face_api_node_check.mjs NODE_MODULES MODEL_DIR CROPS.json OUT.json
//
// CROPS.json: [{"height": h, "width": w, "rgb": base64 of h×w×3 uint8}, …]; OUT.json: per crop, the logits
// (runNet) and the probabilities (predictExpressions, the package's public call), in FACE_EXPRESSION_LABELS order.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [nodeModules, modelDir, cropsPath, outPath] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeModules), 'node_modules', 'index.js'));
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const { tf } = faceapi;

await tf.setBackend('cpu');
await tf.ready();
const net = faceapi.nets.faceExpressionNet;
await net.loadFromDisk(modelDir);

const results = [];
for (const crop of JSON.parse(readFileSync(cropsPath, 'utf8'))) {
  const pixels = Int32Array.from(Buffer.from(crop.rgb, 'base64'));
  const image = tf.tensor3d(pixels, [crop.height, crop.width, 3], 'int32');
  const netInput = await faceapi.toNetInput(image);
  const logits = net.runNet(netInput);
  const expressions = await net.predictExpressions(image);
  results.push({
    logits: Array.from(logits.dataSync()),
    probabilities: faceapi.FACE_EXPRESSION_LABELS.map((label) => expressions[label]),
  });
  logits.dispose();
  image.dispose();
}
writeFileSync(outPath, JSON.stringify({ backend: tf.getBackend(), tfjs: tf.version.tfjs, labels: faceapi.FACE_EXPRESSION_LABELS, results }));
