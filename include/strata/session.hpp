// strata/session.hpp — Session: unit of work and identity map.
//
//   strata::Session s(db);                 // uses the current strata::Registry
//   auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
//   s.commit();                            // INSERT; john->id is now set
//   auto u = s.get<User>(1);               // the same object as john (identity map)
//   u->email = "j@x.org";                  // s.flush() UPDATEs "email" only
//   s.remove(u); s.commit();
//
// The session reads in autocommit mode and opens a transaction at its first
// write (or begin()); it holds one pooled connection from its first statement
// until commit() / rollback(). flush() writes pending changes in
// foreign-key order: INSERTs and UPDATEs parent tables first, DELETEs child
// tables first. commit() expires every object (SessionOptions::
// expire_on_commit) and rollback() discards pending objects and expires the
// others: they reload on next access. Destroying a session rolls back what
// was not committed; its objects stay readable as detached objects where
// they are loaded (not expired).
//
// A Session belongs to one thread; the Database it comes from is shared.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "strata/export.hpp"
#include "strata/database.hpp"
#include "strata/detail/row_reader.hpp"
#include "strata/ptr.hpp"
#include "strata/query.hpp"
#include "strata/registry.hpp"
#include "strata/select.hpp"
#include "strata/value.hpp"

namespace strata {

namespace detail {
class SessionImpl;
struct SessionHome;
}

struct SessionOptions {
    // After commit(), every object's columns and relationships reload on next
    // access (one SELECT per object, or per relationship), so that later
    // changes are compared with what the database holds now, not with what
    // this session saw before other transactions committed. false keeps the
    // values: cheaper, but a value another session changed since is then
    // trusted (an assignment equal to the stale value writes nothing), and
    // cascades see stale collections (docs/orm.md, "Session lifecycle").
    bool expire_on_commit = true;
    // Flush before each query and lazy load (Session::set_autoflush).
    bool autoflush = true;
};

class STRATA_API Session {
public:
    explicit Session(const Database& db, SessionOptions options = {});
    Session(const Database& db, const Registry& registry, SessionOptions options = {});
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    // Tracks a new object; it is INSERTed at the next flush. Its new related
    // objects (HasMany::push_back) are added with it (save-update cascade).
    template <class T>
        requires(!detail::is_ptr<std::remove_cvref_t<T>>::value)
    Ptr<std::remove_cvref_t<T>> add(T&& object) {
        static_assert(!std::is_lvalue_reference_v<T>,
                      "strata: add() takes the object by value: s.add(User{...}) or s.add(std::move(u))");
        using V = std::remove_cvref_t<T>;
        using R = detail::Record<V>;
        // Built in the session's memory, as loaded objects are: no allocation
        // per object. (If moving the object throws, the room is only given
        // back with the session's memory.)
        void* room = record_room(sizeof(R), alignof(R));
        return Ptr<V>(add_built(new (room) R(std::move(object))));
    }
    // Puts an expunged or rolled-back object back into the session.
    template <class T>
    Ptr<T> add(const Ptr<T>& object) {
        add_existing(detail::Access::record(object).get());
        return object;
    }

    // Copies the columns of an object from elsewhere -- detached from a session
    // that is gone, or expunged -- onto this session's object with its key
    // (from the identity map, else loaded, else a new pending object), and
    // returns that object; the argument stays as it was (SQLAlchemy's merge).
    template <class T>
    Ptr<T> merge(const Ptr<T>& object) {
        return detail::handle_of<T>(merge_record(detail::Access::record(object).get()));
    }

    // The object with this primary key: from the identity map, or loaded. Empty Ptr if no row.
    template <class T>
    Ptr<T> get(const Value& primary_key) {
        return detail::handle_of<T>(get_record(typeid(T), primary_key));
    }
    // The same for an integer key (the common case), without building a Value.
    template <class T, std::integral K>
        requires(!std::is_same_v<K, bool>)
    Ptr<T> get(K primary_key) {
        return Ptr<T>(get_handle(typeid(T), static_cast<std::int64_t>(primary_key)));
    }
    // The object with this composite key, its values in the order of the key's
    // columns (strata::primary_key_of<T>): s.get<Follow>(std::tuple{follower, followed}).
    template <class T, class... K>
    Ptr<T> get(const std::tuple<K...>& primary_key) {
        static_assert(detail::declared_key<T>,
                      "strata: get<T>(std::tuple{...}) needs T's key declared at compile time: "
                      "template <> struct strata::primary_key_of<T> : strata::key<&T::a, &T::b> {};");
        if constexpr (detail::declared_key<T>) {
            using Key = primary_key_of<T>;
            static_assert(sizeof...(K) == Key::size,
                          "strata: get<T>(std::tuple{...}) takes one value per primary-key member of "
                          "strata::primary_key_of<T>");
            if constexpr (sizeof...(K) == Key::size) {
                constexpr bool fit = detail::key_values_fit<Key, K...>(std::index_sequence_for<K...>{});
                static_assert(fit, "strata: a value of get<T>(std::tuple{...}) does not convert to the type of its "
                                   "primary-key member (strata::primary_key_of<T>, in order)");
                if constexpr (fit) {
                    const auto values = detail::key_values<Key>(primary_key, std::index_sequence_for<K...>{});
                    return detail::handle_of<T>(get_record(typeid(T), std::span<const Value>(values)));
                }
            }
        }
        return {};
    }

    // Marks the object for DELETE at the next flush (cascades to its relationships
    // declared with cascade("delete"); other children get their foreign key NULLed).
    template <class T>
    void remove(const Ptr<T>& object) {
        remove_record(detail::Access::record(object).get());
    }
    // Forgets the object: no longer tracked, its changes are not written.
    template <class T>
    void expunge(const Ptr<T>& object) {
        expunge_record(detail::Access::record(object).get());
    }
    // Reloads the object's columns from the database (unloads its relationships).
    template <class T>
    void refresh(const Ptr<T>& object) {
        refresh_record(detail::Access::record(object).get());
    }

    template <class T>
    Query<T> query() {
        return Query<T>(query_spec(typeid(T)));
    }

    // Columns and expressions, rows as std::tuple (strata/select.hpp):
    //   s.select(&User::nickname, strata::count(&Post::id)).join(&User::posts).group_by(&User::id).all()
    template <class... A>
    auto select(const A&... items) {
        auto statement = strata::select(items...);
        return decltype(statement)(statement.sql(), store());
    }

    // Raw SQL with "?" placeholders, each bound to a parameter, rows read as
    // R: a std::tuple of column types or a plain struct of them, in the
    // SQL's column order. Each value is checked against its element's type
    // (std::optional for a column that may be NULL): a mismatch throws,
    // naming the column.
    //   auto rows = s.execute<std::tuple<std::int64_t, std::string>>("SELECT id, nickname FROM \"user\" WHERE id > ?", 1);
    template <class R, class... P>
    std::vector<R> execute(std::string_view sql, const P&... params) {
        static_assert(detail::valid_row_type<R>(),
                      "strata: execute<R> reads rows into a std::tuple<...> or a plain struct (at most 16 fields) of "
                      "column types: integers, bool, double, std::string, strata::DateTime, Date, Time, Blob, "
                      "Decimal, or std::optional of one");
        static_assert((std::is_convertible_v<const P&, Value> && ...),
                      "strata: a parameter of execute() is not a value a column can hold");
        if constexpr (detail::valid_row_type<R>() && (std::is_convertible_v<const P&, Value> && ...)) {
            auto st = raw_statement(sql, {Value(params)...});
            return detail::read_rows<R>(*st);
        } else {
            return {};
        }
    }
    // Raw SQL that returns no rows (UPDATE, DELETE, INSERT, DDL); returns the
    // number of rows changed. (The leading non-type parameter keeps a call
    // execute<R>(...) from ever choosing this overload.)
    template <std::nullptr_t = nullptr, class... P>
        requires(std::is_convertible_v<const P&, Value> && ...)
    std::int64_t execute(std::string_view sql, const P&... params) {
        return raw_statement(sql, {Value(params)...})->execute();
    }
    // Raw SQL whose columns are named as the model's columns; rows go through the identity map.
    template <class T>
    std::vector<Ptr<T>> raw(std::string_view sql, const std::vector<Value>& params = {}) {
        return detail::to_ptrs<T>(raw_records(typeid(T), sql, params), store());
    }

    // A session reads in autocommit mode (each read sees the latest committed
    // data, holding no lock) until its first write -- a flush, or execute()
    // of SQL that may write -- which opens the transaction that commit() and
    // rollback() end (SQLite: taking the write lock, waiting up to the busy
    // timeout). begin() opens it now, for reads that must see one snapshot
    // and writes based on them. It takes no write lock: readers never wait
    // for each other, and the first flush takes the lock -- on SQLite it
    // throws ConcurrencyError instead if another connection wrote since the
    // first read (Database::run_transaction runs the whole thing again).
    // Does nothing when the transaction is already open.
    void begin(Isolation isolation = Isolation::ServerDefault);
    void flush();
    void commit();
    void rollback();
    // Rolls back and detaches every object.
    void close();

    // Flush before each query and lazy load (default on).
    void set_autoflush(bool on);
    // Called with each statement the session runs (SQL text), for logs and tests.
    void on_statement(std::function<void(const std::string& sql)> observer);

    // The session's connection, inside its transaction.
    Connection& connection();
    const Registry& registry() const;
private:
    friend struct detail::Access;
    void* record_room(std::size_t size, std::size_t align);
    std::shared_ptr<detail::RecordBase> add_built(detail::RecordBase* record);
    void add_existing(detail::RecordBase* record);
    detail::RecordBase* merge_record(detail::RecordBase* record);
    detail::RecordBase* get_record(const std::type_info& type, const Value& primary_key);
    // The object as a handle (empty if no row), already marked touched: the
    // Ptr made of it skips touch()'s call (every get per request makes one).
    std::shared_ptr<detail::RecordBase> get_handle(const std::type_info& type, std::int64_t primary_key);
    detail::RecordBase* get_record(const std::type_info& type, std::span<const Value> key);
    void remove_record(detail::RecordBase* record);
    void expunge_record(detail::RecordBase* record);
    void refresh_record(detail::RecordBase* record);
    detail::QuerySpec query_spec(const std::type_info& type);
    const std::shared_ptr<detail::Store>& store() const;  // what raw()'s records live in
    // Raw SQL prepared and bound, after autoflush (a write opens the transaction).
    StatementHandle raw_statement(std::string_view sql, const std::vector<Value>& params);
    // The rows' objects, each marked touched (handed out as Ptrs).
    std::vector<detail::RecordBase*> raw_records(const std::type_info& type, std::string_view sql,
                                                 const std::vector<Value>& params);

    std::shared_ptr<detail::SessionHome> home_;  // the session's memory, with its first store
    detail::SessionImpl* impl_ = nullptr;         // built in home_
};

// A session keeps the memory of its objects in blocks; when it ends (and no
// Ptr holds its objects), up to 32 MiB of them, and of its large lists of
// objects, are kept for later sessions, so that loading many rows again does
// not wait for fresh pages. This frees them; it returns the bytes freed.
// (docs/orm.md, "Performance")
STRATA_API std::size_t release_session_memory();

}  // namespace strata
