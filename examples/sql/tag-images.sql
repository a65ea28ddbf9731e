-- A SigLIP model, scored in the task managers (ONNX Runtime), images batched across records
CREATE MODEL tagger
INPUT (image BYTES)
OUTPUT (labels ARRAY<STRING>, scores ARRAY<FLOAT>)
WITH (
  'provider' = 'siglip',
  'model' = 'Xenova/siglip-base-patch16-224',
  'labels' = 'cat,dog,remote control,couch,car',
  'template' = 'This is a photo of {}.',
  'top-k' = '3',
  'max-batch-size' = '16',
  'max-batch-delay' = '20 ms'
);

-- Every row of `images` (any table with an encoded image in a BYTES column), with its 3 best labels
SELECT id, labels, scores
FROM ML_PREDICT(TABLE images, MODEL tagger, DESCRIPTOR(image));
