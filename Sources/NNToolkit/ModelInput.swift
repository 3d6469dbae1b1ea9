// ModelInput.swift: how a picture becomes the bytes a model takes. One place, used by the library's
// predict(png:) and predict(pixels:) and by nn-predict, so that both give the same answer.
import NNCore
import NNFormats
import NNImage

/// The image preparation a model asks for.
package struct ModelInput: Sendable {
    /// The one-channel image size the model takes ([H, W] or [1, H, W] inputs), if it takes images.
    package let imageSize: (height: Int, width: Int)?
    /// The normalisation the model carries (the MNIST recipe when it stores none).
    package let normalizer: DigitNormalizer
    package let inputShape: [Int]

    package init(model: Model) {
        imageSize = model.imageSize
        inputShape = model.inputShape
        normalizer = model.imageRecipe.map { DigitNormalizer(parameters: $0.parameters) } ?? .standard
    }

    /// The model's input bytes for a decoded picture: normalised with the model's recipe, or, with
    /// `normalize: false`, taken as it is (it must have the model's size, bright ink on black).
    package func bytes(for image: GrayImage, normalize: Bool = true) throws(ToolkitError) -> GrayImage {
        if normalize {
            guard let size = imageSize, size == (normalizer.canvas, normalizer.canvas) else {
                throw .inputMismatch("the model takes \(CheckedSize.shape(inputShape)) inputs, not \(normalizer.canvas)x\(normalizer.canvas) images")
            }
            return normalizer.normalize(image)
        }
        guard let size = imageSize, image.height == size.height, image.width == size.width else {
            throw .inputMismatch("the picture is \(image.width)x\(image.height); without normalisation the model needs \(imageSize.map { "\($0.width)x\($0.height)" } ?? CheckedSize.shape(inputShape)) images")
        }
        return image
    }
}
