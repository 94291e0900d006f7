// URL parsing in SQLAlchemy's form: backend://user:pass@host:port/database?key=value
#include "strata/url.hpp"

#include <cctype>
#include <charconv>

#include "strata/error.hpp"

namespace strata {

namespace {

[[noreturn]] void bad_url(const std::string& masked, const std::string& why) {
    throw ConfigError("invalid database URL '" + masked + "': " + why);
}

// Mask the password in raw text before we know the URL parses: the part
// between "://user:" and the last '@' of the authority.
std::string mask_raw(const std::string& text) {
    auto scheme_end = text.find("://");
    if (scheme_end == std::string::npos) return text;
    auto auth_start = scheme_end + 3;
    auto auth_end = text.find_first_of("/?", auth_start);
    auto authority = text.substr(auth_start, auth_end == std::string::npos ? std::string::npos : auth_end - auth_start);
    auto at = authority.rfind('@');
    if (at == std::string::npos) return text;
    auto colon = authority.find(':');
    if (colon == std::string::npos || colon > at) return text;
    return text.substr(0, auth_start + colon + 1) + "***" + text.substr(auth_start + at);
}

void parse_query(const std::string& query, const std::string& masked, Url& url) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        auto amp = query.find('&', pos);
        auto item = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (!item.empty()) {
            auto eq = item.find('=');
            if (eq == std::string::npos || eq == 0) bad_url(masked, "query parameter '" + item + "' is not key=value");
            url.query[url_unquote(item.substr(0, eq))] = url_unquote(item.substr(eq + 1));
        }
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
}

void parse_authority(const std::string& authority, const std::string& masked, Url& url) {
    std::string hostport = authority;
    auto at = authority.rfind('@');
    if (at != std::string::npos) {
        auto userinfo = authority.substr(0, at);
        hostport = authority.substr(at + 1);
        auto colon = userinfo.find(':');
        url.username = url_unquote(userinfo.substr(0, colon));
        if (colon != std::string::npos) url.password = url_unquote(userinfo.substr(colon + 1));
        if (url.username.empty()) bad_url(masked, "user name is empty before '@'");
    }
    std::string port_text;
    if (!hostport.empty() && hostport.front() == '[') {  // [::1]:5432
        auto close = hostport.find(']');
        if (close == std::string::npos) bad_url(masked, "unterminated '[' in IPv6 host");
        url.host = hostport.substr(1, close - 1);
        if (close + 1 < hostport.size()) {
            if (hostport[close + 1] != ':') bad_url(masked, "expected ':' after IPv6 host");
            port_text = hostport.substr(close + 2);
        }
    } else {
        auto colon = hostport.rfind(':');
        url.host = url_unquote(hostport.substr(0, colon));
        if (colon != std::string::npos) port_text = hostport.substr(colon + 1);
    }
    if (!port_text.empty() || hostport.ends_with(":")) {
        int port = 0;
        auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 || port > 65535)
            bad_url(masked, "port '" + port_text + "' is not a number from 1 to 65535");
        url.port = port;
    }
}

// ?journal_mode= takes SQLite's own names (any case), kept in lower case.
void check_journal_mode(Url& url, const std::string& masked) {
    auto it = url.query.find("journal_mode");
    if (it == url.query.end()) return;
    std::string mode = it->second;
    for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* known : {"delete", "truncate", "persist", "memory", "wal", "off"})
        if (mode == known) {
            it->second = mode;
            return;
        }
    bad_url(masked, "journal_mode '" + it->second + "' is not one of delete, truncate, persist, memory, wal, off");
}

}  // namespace

std::string url_unquote(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() + 0 && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string Url::masked() const {
    if (backend == "sqlite") return database.empty() ? "sqlite://" : "sqlite:///" + database;
    std::string out = backend + "://";
    if (!username.empty()) {
        out += username;
        if (!password.empty()) out += ":***";
        out += "@";
    }
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port) out += ":" + std::to_string(*port);
    out += "/" + database;
    char sep = '?';
    for (const auto& [k, v] : query) {
        out += sep + k + "=" + (k == "password" ? "***" : v);
        sep = '&';
    }
    return out;
}

Url parse_url(const std::string& text) {
    const std::string masked = mask_raw(text);
    if (text.empty()) throw ConfigError("invalid database URL '': the URL is empty (expected e.g. sqlite:///app.db)");
    auto scheme_end = text.find("://");
    if (scheme_end == std::string::npos)
        bad_url(masked, "missing '://' after the backend name (expected e.g. sqlite:///app.db or postgresql://host/db)");
    Url url;
    std::string scheme = text.substr(0, scheme_end);
    // "postgresql+psycopg2" and friends: keep the backend, ignore the driver part.
    auto plus = scheme.find('+');
    url.backend = scheme.substr(0, plus);
    if (url.backend == "postgres") url.backend = "postgresql";
    if (url.backend != "sqlite" && url.backend != "postgresql")
        bad_url(masked, "unknown backend '" + scheme + "' (supported: sqlite, postgresql)");

    std::string rest = text.substr(scheme_end + 3);
    if (url.backend == "sqlite") {
        // sqlite:// (memory), sqlite:///rel/path, sqlite:////abs/path, sqlite:///:memory:
        auto q = rest.find('?');
        if (q != std::string::npos) {
            parse_query(rest.substr(q + 1), masked, url);
            rest = rest.substr(0, q);
        }
        check_journal_mode(url, masked);
        if (rest.empty()) return url;
        if (rest.front() != '/')
            bad_url(masked, "a SQLite URL has no host: use sqlite:///relative/path.db or sqlite:////absolute/path.db");
        url.database = url_unquote(rest.substr(1));
        if (url.database.empty()) bad_url(masked, "the database path after 'sqlite:///' is empty");
        return url;
    }

    auto q = rest.find('?');
    if (q != std::string::npos) {
        parse_query(rest.substr(q + 1), masked, url);
        rest = rest.substr(0, q);
    }
    auto slash = rest.find('/');
    parse_authority(rest.substr(0, slash), masked, url);
    if (slash != std::string::npos) url.database = url_unquote(rest.substr(slash + 1));
    if (url.database.find('/') != std::string::npos)
        bad_url(masked, "database name '" + url.database + "' contains '/'");
    if (url.host.empty() && !url.query.count("host") && url.database.empty())
        bad_url(masked, "neither a host nor a database name is given");
    return url;
}

}  // namespace strata
