/**
 * The epoch page ABI, version 1: the only place that knows where the word and the
 * header live. Both the simulated kernel (writer) and the provider (reader) use it.
 */
module dev.reseeddrbg.page {
    exports dev.reseeddrbg.page;
}
