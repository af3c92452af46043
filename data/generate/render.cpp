// Template expansion and customer-side noise. A turn is built as pieces (literal text, plain
// values such as cities, entity values) so entity spans are exact by construction: noise edits
// literal words only (typos, slang, casing) and, where people really do it, lower-cases product
// names, person names, month names and currency codes. Every span is checked before it leaves:
// non-empty, no whitespace at its edges, not glued to a neighbouring letter or digit.
#include <array>
#include <string>
#include <utility>

#include "core/error.h"
#include "data/generate/parts.h"

namespace triage::data::gen {
namespace {

enum class Kind { literal, plain, entity };
struct Piece {
  std::string text;
  Kind kind = Kind::literal;
  Label label = Label::count;
};

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || (c >= '0' && c <= '9'); }
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
void lower_in_place(std::string& s) { for (char& c : s) c = ascii_lower(c); }
void upper_in_place(std::string& s) { for (char& c : s) c = ascii_upper(c); }

// "[a|b|c]" -> one alternative. No nesting (a template with nesting is a bug).
std::string expand_alternations(Rng& rng, std::string_view t) {
  std::string out;
  size_t i = 0;
  while (i < t.size()) {
    if (t[i] != '[') {
      out += t[i++];
      continue;
    }
    const size_t close = t.find(']', i);
    if (close == std::string_view::npos) throw Error("generate: unclosed '[' in template: " + std::string(t));
    std::string_view body = t.substr(i + 1, close - i - 1);
    if (body.find('[') != std::string_view::npos) throw Error("generate: nested '[' in template: " + std::string(t));
    std::vector<std::string_view> alts;
    size_t start = 0;
    for (size_t j = 0; j <= body.size(); ++j) {
      if (j == body.size() || body[j] == '|') {
        alts.push_back(body.substr(start, j - start));
        start = j + 1;
      }
    }
    out += rng.pick(alts);
    i = close + 1;
  }
  return out;
}

void append_literal(std::vector<Piece>& pieces, std::string_view s) {
  if (s.empty()) return;
  if (!pieces.empty() && pieces.back().kind == Kind::literal) pieces.back().text += s;
  else pieces.push_back({std::string(s), Kind::literal, Label::count});
}

void expand(Rng& rng, Context& ctx, std::string_view tmpl, std::vector<Piece>& pieces) {
  const std::string t = expand_alternations(rng, tmpl);
  size_t i = 0;
  while (i < t.size()) {
    const size_t open = t.find('{', i);
    if (open == std::string::npos) {
      append_literal(pieces, std::string_view(t).substr(i));
      break;
    }
    append_literal(pieces, std::string_view(t).substr(i, open - i));
    const size_t close = t.find('}', open);
    if (close == std::string::npos) throw Error("generate: unclosed '{' in template: " + t);
    auto [value, label] = ctx.slot(std::string_view(t).substr(open + 1, close - open - 1));
    if (label) pieces.push_back({std::move(value), Kind::entity, *label});
    else pieces.push_back({std::move(value), Kind::plain, Label::count});
    i = close + 1;
  }
}

const char* keyboard_neighbours(char lower) {
  static const char* const kNear[26] = {"qwsz", "vghn", "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv",
                                        "gyujnb", "ujko", "huikmn", "jiolm", "kop", "njk", "bhjm",
                                        "iklp", "ol", "wa", "edft", "awedxz", "rfgy", "yhji", "cfgb",
                                        "qase", "zsdc", "tghu", "asx"};
  return kNear[lower - 'a'];
}

// A realistic slip on one ASCII word (length >= 4): a known misspelling or one keyboard edit.
std::string typo(Rng& rng, const std::string& word) {
  static const std::array<std::pair<const char*, const char*>, 20> kMisspell = {{
      {"receive", "recieve"},   {"received", "recieved"}, {"address", "adress"},
      {"cancel", "cancle"},     {"password", "pasword"},  {"account", "acount"},
      {"definitely", "definately"}, {"delivery", "delivary"}, {"subscription", "subscripton"},
      {"refund", "refnud"},     {"until", "untill"},      {"tomorrow", "tommorow"},
      {"immediately", "immediatly"}, {"which", "wich"},   {"charged", "chargd"},
      {"package", "pakage"},    {"because", "becuase"},   {"invoice", "invoce"},
      {"working", "workign"},   {"arrived", "arived"}}};
  std::string lw = word;
  lower_in_place(lw);
  for (const auto& [right, wrong] : kMisspell) {
    if (lw == right && rng.chance(0.7)) {
      std::string out = wrong;
      if (word[0] >= 'A' && word[0] <= 'Z') out[0] = ascii_upper(out[0]);
      return out;
    }
  }
  std::string w = word;
  const size_t n = w.size();
  const size_t i = 1 + static_cast<size_t>(rng.below(n - 2));  // never the first or last letter
  switch (rng.below(4)) {
    case 0: std::swap(w[i], w[i + 1]); break;
    case 1: w.erase(i, 1); break;
    case 2: w.insert(i, 1, w[i]); break;
    default: {
      const char* near = keyboard_neighbours(ascii_lower(w[i]));
      char r = near[rng.below(std::char_traits<char>::length(near))];
      w[i] = (w[i] >= 'A' && w[i] <= 'Z') ? ascii_upper(r) : r;
    }
  }
  return w;
}

const char* slang_for(const std::string& lw, Rng& rng) {
  if (lw == "please") return rng.chance(0.5) ? "pls" : "plz";
  if (lw == "you") return "u";
  if (lw == "your") return "ur";
  if (lw == "thanks") return rng.chance(0.5) ? "thx" : "thnx";
  if (lw == "because") return "bc";
  if (lw == "okay") return "ok";
  if (lw == "tomorrow") return "tmrw";
  if (lw == "message") return "msg";
  if (lw == "really") return "rly";
  if (lw == "people") return "ppl";
  if (lw == "though") return "tho";
  return nullptr;
}

// Typos and slang on the ASCII words of a literal piece.
std::string noisy_words(Rng& rng, const std::string& s, const NoiseOptions& noise) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (!is_ascii_alpha(s[i])) {
      out += s[i++];
      continue;
    }
    size_t j = i;
    while (j < s.size() && is_ascii_alpha(s[j])) ++j;
    // A word glued to a non-ASCII letter or a digit is left alone.
    const bool glued = (j < s.size() && (static_cast<unsigned char>(s[j]) >= 0x80 || (s[j] >= '0' && s[j] <= '9'))) ||
                       (i > 0 && static_cast<unsigned char>(s[i - 1]) >= 0x80);
    std::string w = s.substr(i, j - i);
    if (!glued) {
      std::string lw = w;
      lower_in_place(lw);
      const char* slang = slang_for(lw, rng);
      if (slang && rng.chance(noise.slang_rate)) {
        w = slang;
      } else if (w.size() >= 4 && rng.chance(noise.typo_rate)) {
        w = typo(rng, w);
      }
    }
    out += w;
    i = j;
  }
  return out;
}

// Entity surface variation where customers really do it.
void vary_entity(Rng& rng, Piece& p, bool lower_turn, const NoiseOptions& noise) {
  double p_lower = 0.0;
  switch (p.label) {
    case Label::product: p_lower = lower_turn ? 0.6 : 0.05; break;
    case Label::person_name: p_lower = lower_turn ? 0.5 : 0.0; break;
    case Label::date: p_lower = lower_turn ? 0.7 : 0.0; break;
    case Label::amount: p_lower = lower_turn ? 0.3 : 0.0; break;
    case Label::order_id: case Label::account_id: p_lower = lower_turn ? 0.15 : 0.0; break;
    default: break;
  }
  if (p_lower > 0 && rng.chance(p_lower)) lower_in_place(p.text);
  // Brand names get misspelled too (one letter, inside a word of 5+ letters).
  if (p.label == Label::product && rng.chance(noise.typo_rate * 2)) {
    size_t i = 0;
    while (i < p.text.size()) {
      size_t j = i;
      while (j < p.text.size() && is_ascii_alpha(p.text[j])) ++j;
      if (j - i >= 5 && (j >= p.text.size() || static_cast<unsigned char>(p.text[j]) < 0x80)) {
        p.text.replace(i, j - i, typo(rng, p.text.substr(i, j - i)));
        break;
      }
      i = j + 1;
    }
  }
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

void apply_customer_noise(Rng& rng, std::vector<Piece>& pieces, const NoiseOptions& noise) {
  enum class Casing { normal, lower, upper, sloppy };
  Casing casing = Casing::normal;
  if (rng.chance(noise.uppercase_rate)) casing = Casing::upper;
  else if (rng.chance(noise.lowercase_rate)) casing = Casing::lower;
  else if (rng.chance(0.12)) casing = Casing::sloppy;
  const bool curly = rng.chance(0.12);         // phone keyboards type ’ for '
  const bool no_apostrophe = !curly && rng.chance(0.12);  // "dont", "cant", "Im"

  for (Piece& p : pieces) {
    if (p.kind == Kind::entity) {
      vary_entity(rng, p, casing == Casing::lower, noise);
      continue;
    }
    if (p.kind != Kind::literal) continue;
    p.text = noisy_words(rng, p.text, noise);
    if (casing == Casing::lower) lower_in_place(p.text);
    if (casing == Casing::upper) upper_in_place(p.text);
    if (casing == Casing::sloppy) {
      replace_all(p.text, " I ", " i ");
      replace_all(p.text, " I'", " i'");
    }
    if (no_apostrophe) {  // only inside a word of this piece: "Ana's" must not become "Anas"
      for (size_t i = p.text.size(); i-- > 1;)
        if (p.text[i] == '\'' && is_ascii_alpha(p.text[i - 1])) p.text.erase(i, 1);
    }
    if (curly) replace_all(p.text, "'", "\xE2\x80\x99");
  }
  if (casing == Casing::sloppy && !pieces.empty() && pieces.front().kind == Kind::literal) {
    pieces.front().text[0] = ascii_lower(pieces.front().text[0]);
  }
  // Sentence-final punctuation: often dropped, sometimes doubled.
  if (!pieces.empty() && pieces.back().kind == Kind::literal) {
    std::string& t = pieces.back().text;
    if (t.size() >= 2 && t.back() == '.' && t[t.size() - 2] != ' ' && rng.chance(0.3)) t.pop_back();
    else if (!t.empty() && t.back() == '?' && rng.chance(0.15)) t += "?";
    else if (!t.empty() && t.back() == '!' && rng.chance(0.2)) t += "!!";
  }
}

bool is_space_byte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string& Context::lazy(std::optional<std::string>& v, std::string (*make)(Rng&)) {
  if (!v) v = make(rng_);
  return *v;
}

std::pair<std::string, std::optional<Label>> Context::slot(std::string_view name) {
  auto other_name = [this](std::optional<std::string>& v) -> std::string& {
    if (!v) {
      const std::string& me = lazy(first_, pick_first_name);
      std::string n = pick_first_name(rng_);
      for (int tries = 0; tries < 8 && (n == me || n == agent_ || n == colleague_ || n == supervisor_); ++tries)
        n = pick_first_name(rng_);
      v = n;
    }
    return *v;
  };
  if (name == "first") return {lazy(first_, pick_first_name), Label::person_name};
  if (name == "name") return {lazy(first_, pick_first_name) + " " + lazy(last_, pick_last_name), Label::person_name};
  if (name == "agent") return {other_name(agent_), Label::person_name};
  if (name == "colleague") return {other_name(colleague_), Label::person_name};
  if (name == "supervisor") return {other_name(supervisor_), Label::person_name};
  if (name == "order_id") return {lazy(order_id_, make_order_id), Label::order_id};
  if (name == "account_id") return {lazy(account_id_, make_account_id), Label::account_id};
  if (name == "email") {
    if (!email_) email_ = make_email(rng_, lazy(first_, pick_first_name), lazy(last_, pick_last_name));
    return {*email_, Label::email};
  }
  if (name == "phone") return {lazy(phone_, make_phone), Label::phone};
  if (name == "product") return {lazy(product_, make_product), Label::product};
  if (name == "product2") {
    if (!product2_) {
      std::string p = make_product(rng_);
      for (int tries = 0; tries < 8 && p == lazy(product_, make_product); ++tries) p = make_product(rng_);
      product2_ = p;
    }
    return {*product2_, Label::product};
  }
  if (name == "service") return {lazy(service_, make_service), Label::product};
  if (name == "amount") return {lazy(amount_, make_amount), Label::amount};
  if (name == "amount2") return {lazy(amount2_, make_amount), Label::amount};
  if (name == "date") return {lazy(date_, make_date), Label::date};
  if (name == "date2") return {lazy(date2_, make_date), Label::date};
  if (name == "error_code") return {lazy(error_code_, make_error_code), Label::error_code};
  if (name == "city") return {lazy(city_, pick_city), std::nullopt};
  if (name == "company") return {lazy(company_, pick_company), std::nullopt};
  throw Error("generate: unknown template slot {" + std::string(name) + "}");
}

RenderedTurn render_turn(Rng& rng, Context& ctx, const std::vector<const char*>& sentences, bool customer,
                         const NoiseOptions& noise) {
  std::vector<Piece> pieces;
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (i > 0) append_literal(pieces, " ");
    expand(rng, ctx, sentences[i], pieces);
  }
  if (customer) apply_customer_noise(rng, pieces, noise);

  RenderedTurn turn;
  size_t cp = 0;
  for (const Piece& p : pieces) {
    const size_t n = count_code_points(p.text);
    if (p.kind == Kind::entity) {
      const size_t byte_start = turn.text.size();
      if (p.text.empty() || is_space_byte(p.text.front()) || is_space_byte(p.text.back()))
        throw Error("generate: entity value with edge whitespace: '" + p.text + "'");
      if (byte_start > 0 && is_ascii_alnum(turn.text.back()))
        throw Error("generate: entity '" + p.text + "' glued to the preceding word in template text");
      turn.spans.push_back({cp, cp + n, p.label});
    } else if (!turn.spans.empty() && !p.text.empty() && turn.text.size() > 0 &&
               turn.spans.back().end == cp && is_ascii_alnum(p.text.front())) {
      throw Error("generate: entity glued to the following word: '" + turn.text + p.text + "'");
    }
    turn.text += p.text;
    cp += n;
  }
  return turn;
}

}  // namespace triage::data::gen
