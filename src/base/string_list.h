// A list of strings packed in one buffer: an offset per string into a shared byte array. Holds
// millions of short ids (node ids, edge endpoints) at a few bytes each, where a
// std::vector<std::string> would spend 32 bytes per entry before the text. Elements are read as
// std::string_view, valid until the list is next modified. Plain value; thread-compatible.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::base {

class StringList {
  public:
    StringList() = default;
    StringList(std::initializer_list<std::string_view> values) {
        for (auto v : values)
            push_back(v);
    }

    size_t size() const { return offsets_.size() - 1; }
    bool empty() const { return size() == 0; }
    std::string_view operator[](size_t i) const {
        return std::string_view(bytes_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
    }
    std::string_view at(size_t i) const {
        if (i >= size())
            throw std::out_of_range("StringList::at");
        return (*this)[i];
    }
    size_t byte_size() const { return bytes_.size(); }

    void push_back(std::string_view s) {
        bytes_.append(s);
        offsets_.push_back(bytes_.size());
    }
    void reserve(size_t count, size_t bytes) {
        offsets_.reserve(count + 1);
        bytes_.reserve(bytes);
    }
    void append(const StringList& other) {
        uint64_t base = bytes_.size();
        bytes_.append(other.bytes_);
        offsets_.reserve(offsets_.size() + other.size());
        for (size_t i = 1; i < other.offsets_.size(); ++i)
            offsets_.push_back(base + other.offsets_[i]);
    }
    void clear() {
        offsets_.assign(1, 0);
        bytes_.clear();
    }

    class const_iterator {
      public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = std::string_view;

        const_iterator() = default;
        const_iterator(const StringList* list, size_t i) : list_(list), i_(i) {}
        std::string_view operator*() const { return (*list_)[i_]; }
        std::string_view operator[](difference_type n) const { return (*list_)[i_ + n]; }
        const_iterator& operator++() { return ++i_, *this; }
        const_iterator operator++(int) { return {list_, i_++}; }
        const_iterator& operator--() { return --i_, *this; }
        const_iterator operator--(int) { return {list_, i_--}; }
        const_iterator& operator+=(difference_type n) { return i_ += n, *this; }
        const_iterator& operator-=(difference_type n) { return i_ -= n, *this; }
        friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
        friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
        friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const_iterator a, const_iterator b) {
            return difference_type(a.i_) - difference_type(b.i_);
        }
        friend bool operator==(const_iterator a, const_iterator b) { return a.i_ == b.i_; }
        friend auto operator<=>(const_iterator a, const_iterator b) { return a.i_ <=> b.i_; }

      private:
        const StringList* list_ = nullptr;
        size_t i_ = 0;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size()}; }

    friend bool operator==(const StringList& a, const StringList& b) {
        return a.offsets_ == b.offsets_ && a.bytes_ == b.bytes_;
    }

  private:
    std::vector<uint64_t> offsets_{0}; // size() + 1 entries; string i is [offsets_[i], [i+1])
    std::string bytes_;
};

} // namespace omnigraph::base
