package verify

import (
	"math/big"
	"strings"
)

// kind is the type of a parsed node.
type kind int

const (
	kNum      kind = iota // exact rational literal (num), dec>=0 marks a decimal literal
	kVar                  // variable or unknown symbol (name)
	kConst                // pi, e, i (name)
	kInf                  // +infinity
	kAdd                  // sum of args
	kMul                  // product of args
	kDiv                  // args[0] / args[1]
	kNeg                  // -args[0]
	kPow                  // args[0] ^ args[1]
	kFunc                 // name(args...): known function
	kApply                // unknown function symbol name applied to args
	kFact                 // args[0]!
	kPM                   // args[0] ± args[1]  (expands to a set)
	kTuple                // ordered (args...)
	kSet                  // unordered {args...}
	kInterval             // args[0], args[1]; lo/hi closed flags
	kUnion                // union of args
	kMatrix               // rows of cols; args are rows (kTuple)
	kRel                  // relation chain: args with ops[i] between args[i], args[i+1]
	kText                 // text answer (name)
	kRatio                // a:b:c
	kList                 // top-level comma list (unordered answers)
	kIn                   // args[0] \in args[1]
)

// node is one parsed value.
type node struct {
	k    kind
	num  *big.Rat
	dec  int // decimal places when the literal was written as a decimal, else -1
	name string
	args []*node
	ops  []string
	lo   bool // interval: closed at the low end
	hi   bool // interval: closed at the high end
	amb  bool // tuple written with ( ) that may also be an open interval
	pct  bool // number written with a percent sign
	deg  bool // written with a degree sign
	rad  bool // followed by the unit rad or radians
	or   bool // list: its items are joined by "or"
}

func (n *node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	if n == nil {
		b.WriteString("<nil>")
		return
	}
	list := func(open, sep, close string, args []*node) {
		b.WriteString(open)
		for i, a := range args {
			if i > 0 {
				b.WriteString(sep)
			}
			a.write(b)
		}
		b.WriteString(close)
	}
	switch n.k {
	case kNum:
		if n.num.IsInt() {
			b.WriteString(n.num.Num().String())
		} else if n.dec > 0 {
			b.WriteString(n.num.FloatString(n.dec))
		} else {
			b.WriteString(n.num.String())
		}
		if n.pct {
			b.WriteString("%")
		}
	case kVar, kConst:
		b.WriteString(n.name)
	case kInf:
		b.WriteString("oo")
	case kText:
		b.WriteString(`"` + n.name + `"`)
	case kAdd:
		list("(", " + ", ")", n.args)
	case kMul:
		list("(", "*", ")", n.args)
	case kDiv:
		list("(", "/", ")", n.args)
	case kNeg:
		b.WriteString("-")
		n.args[0].write(b)
	case kPow:
		list("(", "^", ")", n.args)
	case kFunc, kApply:
		b.WriteString(n.name)
		list("(", ", ", ")", n.args)
	case kFact:
		n.args[0].write(b)
		b.WriteString("!")
	case kPM:
		list("(", " ± ", ")", n.args)
	case kTuple:
		list("(", ", ", ")", n.args)
	case kSet:
		list("{", ", ", "}", n.args)
	case kList:
		list("", ", ", "", n.args)
	case kInterval:
		if n.lo {
			b.WriteString("[")
		} else {
			b.WriteString("(")
		}
		list("", ", ", "", n.args)
		if n.hi {
			b.WriteString("]")
		} else {
			b.WriteString(")")
		}
	case kUnion:
		list("", " U ", "", n.args)
	case kMatrix:
		list("Matrix[", "; ", "]", n.args)
	case kRatio:
		list("", ":", "", n.args)
	case kIn:
		list("", " in ", "", n.args)
	case kRel:
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(" " + n.ops[i-1] + " ")
			}
			a.write(b)
		}
	}
}

func numNode(r *big.Rat) *node { return &node{k: kNum, num: r, dec: -1} }

func intNode(i int64) *node { return numNode(new(big.Rat).SetInt64(i)) }
