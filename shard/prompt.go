package shard

// DefaultPromptTemplate is OpenR1's user prompt: the problem, then the
// instruction. {problem} is replaced by the problem text. It lives here,
// with the records it shapes, because the runner sends it and merge
// rebuilds each row's messages from it.
const DefaultPromptTemplate = "{problem}\n\nPlease reason step by step, and put your final answer within \\boxed{}."
