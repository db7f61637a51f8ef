// DARTS / NAS-Bench-301 genotypes: parsing of the pair form and the DARTS Genotype(...) form,
// printing, validity, the structural key, and the edit moves (sampling, mutation, neighbours).
#include <algorithm>
#include <cctype>
#include <utility>

#include "cell6.hpp"
#include "zcnas/common/error.hpp"
#include "zcnas/spaces/darts.hpp"

namespace zcnas::spaces::darts {
namespace {

constexpr std::string_view kSpace = "darts";
const std::string kShapeHint =
    "expected [[(input, op), ...8 pairs], [...8 pairs]] (normal, reduce) or "
    "Genotype(normal=[('op', input), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])";

std::string op_list() {
  std::string s;
  for (int i = 0; i < kNumOps; ++i) s += (i ? ", " : "") + std::to_string(i) + " " + std::string(kOpNames[i]);
  return s;
}

// ---- a small tokenizer + recursive-descent reader for Python-literal-like text ----

struct Token {
  enum Kind { Punct, Int, Str, Name, End } kind = End;
  std::string text;  // punctuation char, digits, string body or identifier
  std::size_t pos = 0;
};

struct Value {
  enum Kind { Seq, Int, Str, Name, Call } kind = Int;
  char open = 0;                 // Seq: '[' or '('
  long long num = 0;             // Int
  std::string text;              // Str / Name / Call name
  std::vector<Value> items;      // Seq elements, Call positional arguments
  std::vector<std::pair<std::string, Value>> kwargs;  // Call keyword arguments
  std::size_t pos = 0;
};

class Reader {
 public:
  Reader(std::string_view text, std::string label) : text_(text), label_(std::move(label)) { tokenize(); }

  Value read() {
    if (toks_.size() == 1) throw Error(label_, "empty genotype", kShapeHint);
    Value v = value();
    if (peek().kind != Token::End)
      throw Error(label_, "unexpected '" + peek().text + "' at position " + std::to_string(peek().pos) +
                              " after the end of the genotype", "check the brackets");
    return v;
  }

 private:
  const Token& peek() const { return toks_[i_]; }
  const Token& next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool is(char c) const { return peek().kind == Token::Punct && peek().text[0] == c; }

  [[noreturn]] void fail_at(const Token& t, const std::string& problem) const {
    const std::string found = t.kind == Token::End ? "the end of the text" : "'" + t.text + "' at position " + std::to_string(t.pos);
    throw Error(label_, problem + ", found " + found, kShapeHint);
  }

  void tokenize() {
    std::size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (std::string_view("[](),=").find(c) != std::string_view::npos) {
        toks_.push_back({Token::Punct, std::string(1, c), i});
        ++i;
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
        std::size_t j = i + 1;
        while (j < text_.size() && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
        if (c == '-' && j == i + 1) throw Error(label_, "stray '-' at position " + std::to_string(i), kShapeHint);
        if (j - i > 9) throw Error(label_, "number '" + std::string(text_.substr(i, j - i)) + "' is too long", kShapeHint);
        toks_.push_back({Token::Int, std::string(text_.substr(i, j - i)), i});
        i = j;
      } else if (c == '\'' || c == '"') {
        const auto close = text_.find(c, i + 1);
        if (close == std::string_view::npos)
          throw Error(label_, std::string("string opened with ") + c + " at position " + std::to_string(i) + " is not closed",
                      kShapeHint);
        toks_.push_back({Token::Str, std::string(text_.substr(i + 1, close - i - 1)), i});
        i = close + 1;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t j = i + 1;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) ++j;
        toks_.push_back({Token::Name, std::string(text_.substr(i, j - i)), i});
        i = j;
      } else {
        throw Error(label_, std::string("unexpected character '") + c + "' at position " + std::to_string(i), kShapeHint);
      }
    }
    toks_.push_back({Token::End, "", text_.size()});
  }

  Value value() {
    const Token t = next();
    Value v;
    v.pos = t.pos;
    switch (t.kind) {
      case Token::Int: v.kind = Value::Int; v.num = std::stoll(t.text); return v;
      case Token::Str: v.kind = Value::Str; v.text = t.text; return v;
      case Token::Name:
        v.text = t.text;
        if (!is('(')) { v.kind = Value::Name; return v; }
        next();
        v.kind = Value::Call;
        arguments(v, ')', t);
        return v;
      case Token::Punct:
        if (t.text[0] == '[' || t.text[0] == '(') {
          v.kind = Value::Seq;
          v.open = t.text[0];
          arguments(v, t.text[0] == '[' ? ']' : ')', t);
          return v;
        }
        fail_at(t, "expected a value");
      case Token::End: break;
    }
    fail_at(t, "expected a value");
  }

  // Comma-separated values (and name=value for calls) up to `close`; a trailing comma is allowed.
  void arguments(Value& v, char close, const Token& opener) {
    const std::string closer(1, close);
    const std::string open_text = opener.kind == Token::Name ? opener.text + "(" : opener.text;
    auto not_closed = [&] {
      throw Error(label_, "'" + open_text + "' at position " + std::to_string(opener.pos) + " is not closed with '" +
                              closer + "'", kShapeHint);
    };
    while (!is(close)) {
      if (peek().kind == Token::End) not_closed();
      if (v.kind == Value::Call && peek().kind == Token::Name && toks_[i_ + 1].kind == Token::Punct &&
          toks_[i_ + 1].text == "=") {
        const std::string key = next().text;
        next();
        v.kwargs.emplace_back(key, value());
      } else {
        v.items.push_back(value());
      }
      if (is(',')) { next(); continue; }
      if (peek().kind == Token::End) not_closed();
      if (!is(close)) fail_at(peek(), "expected ',' or '" + closer + "' to close '" + open_text + "' at position " +
                                          std::to_string(opener.pos));
    }
    next();
  }

  std::string_view text_;
  std::string label_;
  std::vector<Token> toks_;
  std::size_t i_ = 0;
};

// ---- genotype from the generic value ----

int op_code_of_name(const std::string& name, const std::string& label, const std::string& where) {
  if (name == "none" || name == "zero")
    throw Error(label, where + ": op '" + name + "' is not in the NAS-Bench-301 space",
                "DARTS' 'none' is excluded; ops: " + op_list());
  const auto it = std::find(kOpNames.begin(), kOpNames.end(), name);
  if (it == kOpNames.end()) throw Error(label, where + ": unknown op '" + name + "'", "ops: " + op_list());
  return static_cast<int>(it - kOpNames.begin());
}

Cell cell_of(const Value& v, const std::string& which, const std::string& label) {
  if (v.kind != Value::Seq) throw Error(label, "the " + which + " cell is not a list of pairs", kShapeHint);
  if (v.items.size() != 2 * kSteps)
    throw Error(label, "the " + which + " cell has " + std::to_string(v.items.size()) + " pair(s), expected 8",
                "two (input, op) pairs for each of the 4 intermediate nodes");
  Cell cell{};
  for (std::size_t p = 0; p < v.items.size(); ++p) {
    const Value& pair = v.items[p];
    const std::string where = which + " pair " + std::to_string(p + 1) + " (node " + std::to_string(p / 2 + 2) + ")";
    if (pair.kind != Value::Seq || pair.items.size() != 2)
      throw Error(label, where + " is not a pair", "write (input node, op code) or ('op_name', input node)");
    const Value& a = pair.items[0];
    const Value& b = pair.items[1];
    const bool a_name = a.kind == Value::Str || a.kind == Value::Name;
    const bool b_name = b.kind == Value::Str || b.kind == Value::Name;
    const Value* input = nullptr;
    if (a.kind == Value::Int && b.kind == Value::Int) {
      input = &a;
      if (b.num < 0 || b.num >= kNumOps)
        throw Error(label, where + " has op code " + std::to_string(b.num) + ", out of range 0..6", "ops: " + op_list());
      cell[p].op = static_cast<int>(b.num);
    } else if (a.kind == Value::Int && b_name) {
      input = &a;
      cell[p].op = op_code_of_name(b.text, label, where);
    } else if (a_name && b.kind == Value::Int) {
      input = &b;
      cell[p].op = op_code_of_name(a.text, label, where);
    } else {
      throw Error(label, where + " is not (input node, op) or ('op_name', input node)", kShapeHint);
    }
    if (input->num < 0 || input->num > 1 + static_cast<long long>(p / 2))
      throw Error(label, where + " reads node " + std::to_string(input->num) + ", out of range",
                  "node " + std::to_string(p / 2 + 2) + " may read nodes 0.." + std::to_string(p / 2 + 1) +
                      " (0 and 1 are the cell inputs)");
    cell[p].input = static_cast<int>(input->num);
  }
  return cell;
}

void check_concat(const Value& v, const std::string& which, const std::string& label) {
  std::vector<long long> nodes;
  if (v.kind == Value::Seq) {
    for (const auto& x : v.items) {
      if (x.kind != Value::Int) throw Error(label, which + " lists a non-integer node", "write [2, 3, 4, 5]");
      nodes.push_back(x.num);
    }
  } else if (v.kind == Value::Call && v.text == "range" && v.kwargs.empty() && v.items.size() == 2 &&
             v.items[0].kind == Value::Int && v.items[1].kind == Value::Int) {
    for (long long i = v.items[0].num; i < v.items[1].num && nodes.size() < 16; ++i) nodes.push_back(i);
  } else {
    throw Error(label, which + " is neither a list of nodes nor range(a, b)", "write [2, 3, 4, 5] or range(2, 6)");
  }
  if (nodes != std::vector<long long>{2, 3, 4, 5})
    throw Error(label, which + " must be the nodes 2, 3, 4, 5",
                "the NAS-Bench-301 cell concatenates all four intermediate nodes");
}

Genotype from_value(const Value& v, const std::string& label) {
  Genotype g;
  if (v.kind == Value::Call) {
    if (v.text != "Genotype")
      throw Error(label, "'" + v.text + "(...)' is not a genotype", kShapeHint);
    static const std::array<std::string, 4> kFields{"normal", "normal_concat", "reduce", "reduce_concat"};
    std::array<const Value*, 4> field{};
    if (v.items.size() > 4) throw Error(label, "Genotype(...) has more than 4 arguments", kShapeHint);
    for (std::size_t i = 0; i < v.items.size(); ++i) field[i] = &v.items[i];
    for (const auto& [key, val] : v.kwargs) {
      const auto it = std::find(kFields.begin(), kFields.end(), key);
      if (it == kFields.end()) throw Error(label, "Genotype(...) has an unknown field '" + key + "'", kShapeHint);
      auto& slot = field[it - kFields.begin()];
      if (slot) throw Error(label, "Genotype(...) gives '" + key + "' twice", kShapeHint);
      slot = &val;
    }
    for (std::size_t i = 0; i < 4; ++i)
      if (!field[i]) throw Error(label, "Genotype(...) lacks '" + kFields[i] + "'", kShapeHint);
    g.normal = cell_of(*field[0], "normal", label);
    check_concat(*field[1], "normal_concat", label);
    g.reduce = cell_of(*field[2], "reduce", label);
    check_concat(*field[3], "reduce_concat", label);
  } else if (v.kind == Value::Seq) {
    if (v.items.size() != 2)
      throw Error(label, "has " + std::to_string(v.items.size()) + " cell(s), expected 2 ([normal, reduce])", kShapeHint);
    g.normal = cell_of(v.items[0], "normal", label);
    g.reduce = cell_of(v.items[1], "reduce", label);
  } else {
    throw Error(label, "is not a genotype", kShapeHint);
  }
  validate(g, label);
  return g;
}

std::string cell_compact(const Cell& c) {
  std::string s = "[";
  for (std::size_t p = 0; p < c.size(); ++p)
    s += (p ? ",(" : "(") + std::to_string(c[p].input) + "," + std::to_string(c[p].op) + ")";
  return s + "]";
}

std::string cell_genotype(const Cell& c) {
  std::string s = "[";
  for (std::size_t p = 0; p < c.size(); ++p)
    s += (p ? ", ('" : "('") + std::string(kOpNames[c[p].op]) + "', " + std::to_string(c[p].input) + ")";
  return s + "]";
}

// Structural key of one cell. Two facts make different genotypes compute the same function:
//  (1) a node is the *sum* of its two edges, so the order of its two pairs does not matter;
//  (2) the cell output concatenates nodes 2..5 and everything that reads it (the next cells'
//      1x1 preprocessing convs, the global pool + linear classifier) is a per-channel linear
//      map, so relabelling the intermediate nodes (in any order that keeps every node after
//      its inputs) gives the same function with the readers' weights permuted -- the same
//      set of functions over all weights and the same distribution at initialisation.
// The key is the smallest text over those relabellings, with each node's pairs sorted.
std::string cell_key(const Cell& c) {
  std::array<int, kSteps> perm{0, 1, 2, 3};  // perm[j] = new label of old node j+2, minus 2
  std::string best;
  do {
    std::array<std::array<Edge, 2>, kSteps> nodes{};
    bool valid = true;
    for (int j = 0; j < kSteps && valid; ++j) {
      std::array<Edge, 2> e{c[2 * j], c[2 * j + 1]};
      for (auto& x : e) {
        if (x.input >= 2) x.input = perm[x.input - 2] + 2;
        if (x.input >= perm[j] + 2) valid = false;  // must read an earlier node after relabelling
      }
      if (std::pair(e[1].input, e[1].op) < std::pair(e[0].input, e[0].op)) std::swap(e[0], e[1]);
      nodes[perm[j]] = e;
    }
    if (!valid) continue;
    std::string s;
    for (const auto& n : nodes)
      for (const auto& x : n) s += std::to_string(x.input) + ":" + std::to_string(x.op) + ";";
    if (best.empty() || s < best) best = s;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

int draw(Rng& rng, int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }

Cell sample_cell(Rng& rng) {
  Cell c{};
  for (int j = 0; j < kSteps; ++j) {
    const int n_inputs = j + 2;
    const int a = draw(rng, n_inputs);
    int b = draw(rng, n_inputs - 1);
    if (b >= a) ++b;  // uniform over the others: two distinct inputs, as choice(..., replace=False)
    c[2 * j] = {a, draw(rng, kNumOps)};
    c[2 * j + 1] = {b, draw(rng, kNumOps)};
  }
  return c;
}

}  // namespace

Genotype parse(std::string_view text) {
  const auto label = cell6::input_label(kSpace, text);
  Reader reader(text, label);
  return from_value(reader.read(), label);
}

void validate(const Genotype& g, const std::string& label) {
  for (int c = 0; c < 2; ++c) {
    const Cell& cell = c == 0 ? g.normal : g.reduce;
    const std::string which = c == 0 ? "normal" : "reduce";
    for (int p = 0; p < 2 * kSteps; ++p) {
      const int node = p / 2 + 2;
      if (cell[p].op < 0 || cell[p].op >= kNumOps)
        throw Error(label, which + " node " + std::to_string(node) + " has op code " + std::to_string(cell[p].op) +
                               ", out of range 0..6", "ops: " + op_list());
      if (cell[p].input < 0 || cell[p].input >= node)
        throw Error(label, which + " node " + std::to_string(node) + " reads node " + std::to_string(cell[p].input) +
                               ", out of range", "node " + std::to_string(node) + " may read nodes 0.." +
                                                      std::to_string(node - 1));
    }
    for (int j = 0; j < kSteps; ++j)
      if (cell[2 * j].input == cell[2 * j + 1].input)
        throw Error(label, which + " node " + std::to_string(j + 2) + " reads node " + std::to_string(cell[2 * j].input) +
                               " twice", "the two inputs of a DARTS node are two different earlier nodes");
  }
}

// Appended piecewise: GCC 12 warns (-Wstringop-overflow, a false positive) on "[" + std::string&&.
std::string compact_str(const Genotype& g) {
  std::string s(1, '[');
  s += cell_compact(g.normal);
  s += ',';
  s += cell_compact(g.reduce);
  s += ']';
  return s;
}

std::string genotype_str(const Genotype& g) {
  std::string s = "Genotype(normal=";
  s += cell_genotype(g.normal);
  s += ", normal_concat=[2, 3, 4, 5], reduce=";
  s += cell_genotype(g.reduce);
  s += ", reduce_concat=[2, 3, 4, 5])";
  return s;
}

std::string unique_str(const Genotype& g) {
  std::string s = "normal ";
  s += cell_key(g.normal);
  s += " reduce ";
  s += cell_key(g.reduce);
  return s;
}

Genotype sample(Rng& rng) {
  Genotype g;
  g.normal = sample_cell(rng);
  g.reduce = sample_cell(rng);
  return g;
}

// NASLib NasBench301SearchSpace.mutate (search_spaces/nasbench301/graph.py): cell, pair and
// field uniform; an op becomes a uniformly chosen op, an input a uniformly chosen input the
// node's other pair does not use; repeated until the genotype changed. Here the new value is
// drawn among the *different* ones directly (same distribution over outcomes per move).
Genotype mutate(const Genotype& g, Rng& rng) {
  for (;;) {
    Genotype m = g;
    Cell& cell = draw(rng, 2) == 0 ? m.normal : m.reduce;
    const int p = draw(rng, 2 * kSteps);
    if (draw(rng, 2) == 1) {
      int op = draw(rng, kNumOps - 1);
      if (op >= cell[p].op) ++op;
      cell[p].op = op;
      return m;
    }
    const int sibling = cell[p ^ 1].input;
    std::vector<int> choices;
    for (int i = 0; i < p / 2 + 2; ++i)
      if (i != sibling && i != cell[p].input) choices.push_back(i);
    if (choices.empty()) continue;  // node 2 reads both cell inputs already: draw another move
    cell[p].input = choices[draw(rng, static_cast<int>(choices.size()))];
    return m;
  }
}

// NASLib NasBench301SearchSpace.get_nbhd, without its final shuffle.
std::vector<Genotype> neighbours(const Genotype& g) {
  std::vector<Genotype> out;
  for (int c = 0; c < 2; ++c)
    for (int p = 0; p < 2 * kSteps; ++p) {
      const Cell& cell = c == 0 ? g.normal : g.reduce;
      for (int op = 0; op < kNumOps; ++op) {
        if (op == cell[p].op) continue;
        Genotype n = g;
        (c == 0 ? n.normal : n.reduce)[p].op = op;
        out.push_back(n);
      }
      for (int i = 0; i < p / 2 + 2; ++i) {
        if (i == cell[p].input || i == cell[p ^ 1].input) continue;
        Genotype n = g;
        (c == 0 ? n.normal : n.reduce)[p].input = i;
        out.push_back(n);
      }
    }
  return out;
}

std::vector<std::string> datasets() { return {"cifar10"}; }

NetConfig config_for(std::string_view dataset) {
  if (dataset != "cifar10")
    throw Error("--dataset " + std::string(dataset), "unknown data set for darts",
                "valid: cifar10 (NAS-Bench-301 is a CIFAR-10 benchmark)");
  return NetConfig{};
}

}  // namespace zcnas::spaces::darts
