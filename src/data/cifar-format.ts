/** The CIFAR-10 binary format's constants (https://www.cs.toronto.edu/~kriz/cifar.html, "Binary version"). */

/** The official archive of the binary version. */
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';

/** Its MD5, as published on the dataset's page. */
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

/** The directory every member of the archive sits in. */
export const CIFAR10_DIR = 'cifar-10-batches-bin';

/** The five training batches, in the order their records are concatenated. */
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;

/** The test batch. */
export const CIFAR10_TEST_FILE = 'test_batch.bin';

/** The class names, one per line, in label order. */
export const CIFAR10_META_FILE = 'batches.meta.txt';

/** Image side, channels, and bytes per image (3 × 32 × 32, channel-major: all red, then green, then blue). */
export const CIFAR10_SIDE = 32;
export const CIFAR10_CHANNELS = 3;
export const CIFAR10_IMAGE_BYTES = CIFAR10_CHANNELS * CIFAR10_SIDE * CIFAR10_SIDE;

/** Bytes per record: one label byte, then the image. */
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;

/** The ten class names, in label order (what batches.meta.txt lists). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
