// ModelInput.swift: how a picture becomes the bytes a model takes. One place, used by the library's
// predict(png:) and predict(pixels:) and by nn-predict, so that both give the same answer.
import NNCore
import NNFormats
import NNImage

/// The image preparation a model asks for.
package struct ModelInput: Sendable {
    /// The one-channel image size the model takes ([H, W] or [1, H, W] inputs), if it takes images.
    package let imageSize: (height: Int, width: Int)?
    package let inputShape: [Int]
    /// The PNG recipe the model stores (nn-train --png-recipe), MNIST's digit recipe for a model that
    /// stores none (older files, imports); nil when it names a recipe this version does not know.
    package let recipe: PictureRecipe?
    /// The stored recipe's name, for the message when `recipe` is nil.
    package let storedRecipeName: String?

    package init(model: Model) {
        imageSize = model.imageSize
        inputShape = model.inputShape
        storedRecipeName = model.imageRecipe?.name
        if let stored = model.imageRecipe {
            let size = model.imageSize.map { (width: $0.width, height: $0.height) } ?? (width: 28, height: 28)
            recipe = PictureRecipe(name: stored.name, parameters: stored.parameters, inputSize: size)
        } else {
            recipe = .digit(.standard)
        }
    }

    /// Why pictures cannot be normalised for this model, or nil when they can.
    package var recipeProblem: String? {
        guard recipe == nil, let name = storedRecipeName else { return nil }
        return "its PNG recipe '\(name)' is unknown to this version (it knows "
            + PictureRecipe.choices.map(\.stored).joined(separator: ", ") + "); give images of the model's input size without normalisation"
    }

    /// Why the model can take no picture at all, whatever the picture (nil when some can be taken): an
    /// unknown recipe or one whose images are not the model's input size; without normalisation, an
    /// input that is not an image.
    package func pictureProblem(normalize: Bool) -> ToolkitError? {
        guard normalize else {
            return imageSize == nil ? .inputMismatch("the model takes \(CheckedSize.shape(inputShape)) inputs, not images (HxW or 1xHxW)") : nil
        }
        guard let recipe else { return .invalidModel(recipeProblem ?? "no PNG recipe") }
        let made = recipe.outputSize
        guard let size = imageSize, size.width == made.width, size.height == made.height else {
            return .inputMismatch("the model takes \(CheckedSize.shape(inputShape)) inputs, not the \(made.width)x\(made.height) images its PNG recipe makes")
        }
        return nil
    }

    /// The model's input bytes for a decoded picture: normalised with the model's recipe, or, with
    /// `normalize: false`, taken as it is (it must have the model's size, bright ink on black).
    package func bytes(for image: GrayImage, normalize: Bool = true) throws(ToolkitError) -> GrayImage {
        if let problem = pictureProblem(normalize: normalize) { throw problem }
        if normalize, let recipe { return recipe.normalize(image) }
        guard let size = imageSize, image.height == size.height, image.width == size.width else {
            throw .inputMismatch("the picture is \(image.width)x\(image.height); without normalisation the model needs \(imageSize.map { "\($0.width)x\($0.height)" } ?? CheckedSize.shape(inputShape)) images")
        }
        return image
    }
}
